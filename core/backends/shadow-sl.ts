// Emulated VT-d with caching mode on a second-level table, assigned (VFIO)
// device: QEMU keeps a shadow of the guest table in the host IOMMU, so every
// change the guest announces costs a page walk plus VFIO ioctls, and a
// domain-selective flush makes QEMU re-walk the whole guest table
// (hw/i386/intel_iommu.c: vtd_sync_shadow_page_table -> vtd_page_walk).
import { exitCost, NO_COST, type BackendFactory, type DomainView } from './types.ts';

const LEVELS = 4; // 48-bit guest address width
const ENTRIES_PER_TABLE = 512;

/**
 * Page-table entries QEMU reads to walk the whole table: every slot of every
 * present table page (vtd_page_walk_level reads each entry of the range), with
 * IOVAs packed top-down by the allocator so leaves fill whole tables.
 */
export function fullWalkEntries(presentPtes: number): number {
  let tables = 0;
  let below = Math.max(1, Math.ceil(presentPtes / ENTRIES_PER_TABLE));
  for (let level = 1; level <= LEVELS; level++) {
    tables += below;
    below = Math.max(1, Math.ceil(below / ENTRIES_PER_TABLE));
  }
  return tables * ENTRIES_PER_TABLE;
}

export const shadowSlBackend: BackendFactory = (c) => {
  // A page-selective invalidation walks one path down plus the leaves of the range.
  const psiWalkNs = (pages: number) => (LEVELS - 1 + pages) * c.qemuPteReadNs + pages * c.qemuIovaTreeNs;
  // QEMU only notifies device-IOTLB listeners for a device-TLB descriptor: no walk, no VFIO call.
  const deviceTlbNs = 0;
  return {
    id: 'shadow-sl',
    describe: 'emulated VT-d, caching mode, second level shadowed through VFIO',
    map: (pages) => exitCost('psi-map', 'psi', c.qiHandleNs, psiWalkNs(pages) + c.vfioMapNs, deviceTlbNs),
    pteClear: () => NO_COST,
    strictInvalidate: (pages) => exitCost('psi-unmap', 'psi', c.qiHandleNs, psiWalkNs(pages) + c.vfioUnmapNs, deviceTlbNs),
    flush: (d: DomainView) =>
      exitCost(
        'dsi-flush',
        'dsi',
        c.qiHandleNs,
        fullWalkEntries(d.presentPtes) * c.qemuPteReadNs + d.presentPtes * c.qemuIovaTreeNs + d.staleMappings * c.vfioUnmapNs,
        deviceTlbNs,
      ),
  };
};
