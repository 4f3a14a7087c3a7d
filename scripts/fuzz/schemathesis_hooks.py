"""Schemathesis hooks for Nimbus's OpenAPI document (SCHEMATHESIS_HOOKS=schemathesis_hooks)."""
import schemathesis

# Glance's image PATCH is a JSON patch under its own media type.
schemathesis.serializer.alias("application/openstack-images-v2.1-json-patch", "application/json")
