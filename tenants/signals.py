from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.models import Domain, Organisation
from tenants.selectors import org_hosts_cache_key, routing_cache, routing_cache_key


@receiver([post_save, post_delete], sender=Domain)
def _forget_domain(sender: type[Domain], instance: Domain, **kwargs: Any) -> None:
    routing_cache.delete_many(
        [routing_cache_key(instance.domain), org_hosts_cache_key(instance.tenant_id)]
    )


@receiver([post_save, post_delete], sender=Organisation)
def _forget_org(sender: type[Organisation], instance: Organisation, **kwargs: Any) -> None:
    hosts = Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True)
    routing_cache.delete_many([routing_cache_key(h) for h in hosts])
