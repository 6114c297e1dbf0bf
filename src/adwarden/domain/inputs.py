"""The base for validated input shapes: unknown fields are an error, not silently dropped."""

from pydantic import BaseModel, ConfigDict


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
