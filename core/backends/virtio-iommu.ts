// virtio-iommu (guest drivers/iommu/virtio-iommu.c, QEMU
// hw/virtio/virtio-iommu.c) with an assigned (VFIO) device. The guest keeps no
// I/O page table: map_pages and unmap_pages add a MAP or UNMAP request to the
// request virtqueue (viommu_add_req, no kick), and a sync (viommu_sync_req:
// iotlb_sync after a strict unmap, iotlb_sync_map after a map,
// flush_iotlb_all for a lazy flush) kicks the queue, an exit, and spins under
// request_lock until QEMU has handled every queued request. QEMU handles them
// under its big lock and maps or unmaps the host IOMMU through VFIO for each
// (one ioctl per mapping: fio's buffers are 4 KiB pages that are not
// physically contiguous, so each page is a scatterlist segment, a MAP request
// of its own, and a host mapping of its own).
//
// The guest's request_lock plays the part of VT-d's q_lock (held across the
// kick and the wait, interrupts off); a sync carries everything queued since
// the last one, whoever queued it, so the backend keeps that count.
import { exitCost, NO_COST, type BackendFactory, type OpCost } from './types.ts';

/** Requests the request virtqueue holds before __viommu_add_req() must sync: two descriptors each in QEMU's 256-entry queue. */
export const VIRTQUEUE_REQUESTS = 128;

export const virtioIommuBackend: BackendFactory = (c, opts) => {
  let queued = 0;
  let queuedHostNs = 0;
  const add = (requests: number, hostNs: number) => {
    queued += requests;
    queuedHostNs += requests * c.virtioRequestNs + hostNs;
  };
  const sync = (reason: 'virtio-map' | 'virtio-unmap' | 'virtio-flush'): OpCost => {
    const cost = exitCost(reason, 'virtio', 0, queuedHostNs, 0);
    queued = 0;
    queuedHostNs = 0;
    return cost;
  };
  return {
    id: 'virtio-iommu',
    describe: `virtio-iommu: MAP/UNMAP requests, a kick (exit) per sync, VFIO map/unmap on the host per request${opts.iotlbSyncMap ? ', sync after each map' : ''}`,
    map(pages) {
      add(pages, pages * c.vfioMapNs);
      return opts.iotlbSyncMap || queued >= VIRTQUEUE_REQUESTS ? sync('virtio-map') : NO_COST;
    },
    // One UNMAP request covers the IOVA range; QEMU unmaps each host mapping in it.
    pteClear(pages) {
      add(1, pages * c.vfioUnmapNs);
      return NO_COST;
    },
    strictInvalidate: () => sync('virtio-unmap'),
    flush: () => sync('virtio-flush'),
  };
};
