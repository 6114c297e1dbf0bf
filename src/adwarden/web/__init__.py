"""The FastAPI application: public pages, the JSON API and (later) the staff and advertiser areas.

Routers only translate HTTP into service calls and service results into
responses; rules live in the stages.
"""
