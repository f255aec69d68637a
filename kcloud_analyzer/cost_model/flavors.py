# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""Nova flavors for resizes: the card's list joined with the flavors learned
from Nova's notifications, the cheapest one that fits, and the price of
what a workload runs on now."""

import numpy as np
import pandas as pd

from kcloud_analyzer.cost_model import ratecard


def needed(stats, cpu_below, cpu_target, memory_below, memory_target):
    """The vCPUs and RAM (GB) each workload needs: for a resource used
    under ``*_below`` % at the 95th percentile, what carries that
    percentile at ``*_target`` %; else (or when more) what it has now."""
    cores, memory = stats['cpu_cores'], stats['memory_gb']
    need_cores = np.where(
        stats['cpu_p95'] < cpu_below,
        np.maximum(1.0, cores * stats['cpu_p95'] / cpu_target), cores)
    need_memory = np.where(
        stats['memory_p95'] < memory_below,
        memory * stats['memory_p95'] / memory_target, memory)
    return (pd.Series(np.minimum(need_cores, cores), index=stats.index),
            pd.Series(np.minimum(need_memory, memory), index=stats.index))


def flavor_matches(flavor, row, card):
    count = int(row['accelerator_count'])
    if flavor.accelerator_count != count:
        return False
    if not count:
        return True
    return card.accelerator(flavor.accelerator) is card.accelerator(
        row['accelerator'])


def fitting_flavor(flavors, card, row, cpu_cores, memory_gb):
    """The cheapest flavor with the workload's accelerators and at least
    ``cpu_cores`` vCPUs and ``memory_gb`` GB of RAM, with its price per
    hour; (None, None) when none fits."""
    best = None
    for flavor in flavors:
        if (flavor.vcpus < cpu_cores or flavor.ram_gb < memory_gb or
                not flavor_matches(flavor, row, card)):
            continue
        price = card.flavor_hour(flavor)
        if price is None:
            continue
        key = (price, flavor.vcpus, flavor.ram_mb, flavor.name)
        if best is None or key < best[0]:
            best = (key, flavor)
    if best is None:
        return None, None
    return best[1], best[0][0]


def current_price(row, card, by_name):
    """The hourly price of what the workload runs on now: its flavor's
    when it is listed, else its resources at the card's unit prices."""
    flavor = by_name.get(row.get('flavor'))
    if flavor is not None:
        price = card.flavor_hour(flavor)
        if price is not None:
            return price
    price = (row['cpu_cores'] * float(card.vcpu_hour) +
             row['memory_gb'] * float(card.ram_gb_hour))
    if row['accelerator_count']:
        price += row['accelerator_count'] * float(
            card.accelerator(row['accelerator']).hour)
    return price


def learned_flavors(records):
    """:class:`ratecard.Flavor` objects from the flavors recorded from
    Nova's notifications (``name``, ``cpu_cores``, ``memory_mb`` or
    ``memory_gb``, ``gpu_count``, ``npu_count``, ``accelerator``)."""
    flavors = []
    for record in records:
        memory_mb = record.get('memory_mb') or int(round(
            float(record.get('memory_gb') or 0) * 1024))
        count = int(record.get('gpu_count') or 0) + int(
            record.get('npu_count') or 0)
        if not record.get('name') or not record.get('cpu_cores') or (
                not memory_mb):
            continue
        flavors.append(ratecard.Flavor(
            name=record['name'], vcpus=int(record['cpu_cores']),
            ram_mb=int(memory_mb),
            accelerator=record.get('accelerator') if count else None,
            accelerator_count=count))
    return tuple(flavors)


def merge_flavors(card, learned=()):
    """The card's flavors, then the learned ones it does not list."""
    listed = {f.name for f in card.flavors}
    return tuple(card.flavors) + tuple(f for f in learned
                                       if f.name not in listed)
