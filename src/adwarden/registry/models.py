"""Tables for advertisers, people, accounts and organic posts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from adwarden.domain.enums import AdvertiserKind, NameKind, PersonRole
from adwarden.screening.normalize import normalize
from adwarden.store.base import Base, Record, Updated, enum_type


class Advertiser(Record, Updated, Base):
    __tablename__ = "advertisers"

    kind: Mapped[AdvertiserKind] = mapped_column(enum_type(AdvertiserKind))
    name: Mapped[str] = mapped_column(String(300), comment="display name; also a primary name row")
    country: Mapped[str | None] = mapped_column(String(2), comment="ISO 3166-1 alpha-2")
    industry: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(500))
    notes: Mapped[str | None] = mapped_column(Text)

    names: Mapped[list[AdvertiserName]] = relationship(
        back_populates="advertiser", order_by="AdvertiserName.id"
    )
    identifiers: Mapped[list[RegistrationId]] = relationship(order_by="RegistrationId.id")
    people: Mapped[list[AdvertiserPerson]] = relationship(
        back_populates="advertiser", order_by="AdvertiserPerson.id"
    )
    accounts: Mapped[list[Account]] = relationship(
        back_populates="advertiser", order_by="Account.id"
    )


class AdvertiserName(Record, Base):
    """Every name an advertiser goes by, in any script, so screening sees all of them."""

    __tablename__ = "advertiser_names"
    __table_args__ = (UniqueConstraint("advertiser_id", "name"),)

    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[NameKind] = mapped_column(enum_type(NameKind))
    lang: Mapped[str | None] = mapped_column(String(8), comment="BCP 47 tag if known")

    advertiser: Mapped[Advertiser] = relationship(back_populates="names")
    keys: Mapped[list[AdvertiserNameKey]] = relationship(cascade="save-update")

    @validates("name")
    def _index(self, _: str, name: str) -> str:
        # a name row is only ever rewritten in another case (a rename back to a former name),
        # which folds to the same keys; a key is added, never taken away (nothing is deleted)
        known = {row.key for row in self.keys}
        self.keys.extend(
            AdvertiserNameKey(key=key) for key in search_keys(name) if key not in known
        )
        return name


def search_keys(name: str) -> list[str]:
    """The screening normaliser's folded spelling of each part of a name, so that any script
    or transliteration of it finds the same keys ("Касперский" and "Kaspersky" both give
    "kasperski")."""
    return list(dict.fromkeys(part.key[:100] for part in normalize(name).parts if part.key))


class AdvertiserNameKey(Base):
    """One search key of an advertiser name: the public ads repository searches these."""

    __tablename__ = "advertiser_name_keys"
    __table_args__ = (PrimaryKeyConstraint("key", "name_id"),)

    # byte order on PostgreSQL too, so a prefix is one index range ("kasp" .. "kasp~")
    key: Mapped[str] = mapped_column(
        String(100).with_variant(String(100, collation="C"), "postgresql")
    )
    name_id: Mapped[int] = mapped_column(ForeignKey("advertiser_names.id"), index=True)


class RegistrationId(Record, Base):
    __tablename__ = "advertiser_registration_ids"
    __table_args__ = (UniqueConstraint("advertiser_id", "scheme", "value"),)

    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(50), comment="e.g. LEI, OGRN, company number")
    value: Mapped[str] = mapped_column(String(100))


class Person(Record, Updated, Base):
    __tablename__ = "people"

    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column()

    names: Mapped[list[PersonName]] = relationship(
        back_populates="person", order_by="PersonName.id"
    )
    roles: Mapped[list[AdvertiserPerson]] = relationship(
        back_populates="person", order_by="AdvertiserPerson.id"
    )


class PersonName(Record, Base):
    """Every spelling of a person's name, in any script (Eugene, Yevgeny, Евгений)."""

    __tablename__ = "person_names"
    __table_args__ = (UniqueConstraint("person_id", "name"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[NameKind] = mapped_column(enum_type(NameKind))
    lang: Mapped[str | None] = mapped_column(String(8), comment="BCP 47 tag if known")

    person: Mapped[Person] = relationship(back_populates="names")


class AdvertiserPerson(Record, Base):
    """A person's role at an advertiser. Ending a role sets `until`; rows stay."""

    __tablename__ = "advertiser_people"
    __table_args__ = (UniqueConstraint("advertiser_id", "person_id", "role"),)

    advertiser_id: Mapped[int] = mapped_column(ForeignKey("advertisers.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[PersonRole] = mapped_column(enum_type(PersonRole))
    title: Mapped[str | None] = mapped_column(String(200))
    since: Mapped[date | None] = mapped_column()
    until: Mapped[date | None] = mapped_column()

    advertiser: Mapped[Advertiser] = relationship(back_populates="people")
    person: Mapped[Person] = relationship(back_populates="roles")


class Account(Record, Updated, Base):
    """A platform account. Owned by an advertiser or by no one (a plain user)."""

    __tablename__ = "accounts"
    __table_args__ = (
        # the few barred: the ads repository's "restricted" looks their ads up by them
        Index(
            "ix_accounts_ineligible",
            "id",
            postgresql_where=text("NOT ads_eligible"),
            sqlite_where=text("NOT ads_eligible"),
        ),
    )

    handle: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    advertiser_id: Mapped[int | None] = mapped_column(ForeignKey("advertisers.id"), index=True)
    opened_at: Mapped[datetime | None] = mapped_column(comment="when the account was opened")
    ads_eligible: Mapped[bool] = mapped_column(
        default=True,
        server_default=true(),
        comment="may promote posts; an enforcement decision clears it, lifting it restores it",
    )

    advertiser: Mapped[Advertiser | None] = relationship(back_populates="accounts")


class OrganicPost(Record, Base):
    """An unpaid post. Enforcement on ads never touches these."""

    __tablename__ = "organic_posts"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column()
