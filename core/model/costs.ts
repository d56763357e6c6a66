// The cost table: every time the model charges, in nanoseconds, with where
// the value comes from. Values marked `estimate` are modelling assumptions
// (documented, overridable through `scenario.costs`); `calibrated` ones are
// fitted by `npm run calibrate` to published results (bench/calibrate.ts,
// docs/MODEL.md), which rewrites their values here with `--write`.

export type CostBasis = 'measured' | 'estimate' | 'calibrated';

export interface CostEntry {
  valueNs: number;
  basis: CostBasis;
  description: string;
  source: string;
}

export const COST_TABLE = {
  // Guest network stack, excluding all IOMMU work. Receive and send are
  // charged by byte (the copy to or from user space), by packet (driver and
  // GRO work per wire segment) and by skb (TCP and socket work per GRO or TSO
  // skb), so the cost of a run follows its MTU, GRO and TSO sizes.
  rxPacketNs: {
    valueNs: 694,
    basis: 'calibrated',
    description: 'guest CPU per received wire segment: driver RX descriptor, buffer handling and the GRO merge of the segment (no copy, no TCP, no IOMMU work)',
    source: 'fitted to the seed patch receive results (51 Gbit/s lazy, 39.3 strict) with the copy and per-skb costs held at their estimates; see docs/MODEL.md',
  },
  rxGroSkbNs: {
    valueNs: 1200,
    basis: 'estimate',
    description: 'guest CPU per GRO skb handed to TCP: tcp_v4_rcv, socket queueing, the reader wake-up and its recvmsg bookkeeping',
    source: 'estimate (about a microsecond of TCP and socket work per skb; Cai et al. SIGCOMM 2021 find per-skb work small next to the copy once GRO merges 64 KiB)',
  },
  userCopyNsPerKiB: {
    valueNs: 100,
    basis: 'estimate',
    description: 'guest CPU to copy 1 KiB between user space and the kernel (copy_to_user on receive, copy_from_user on send): one core copies about 10 GB/s',
    source: 'estimate of one server core\'s copy bandwidth (about 10 GB/s with the data partly in the LLC through DDIO), taken independently of the per-core receive figure it is used to predict; Cai et al. SIGCOMM 2021: the copy is about half of receiver cycles',
  },
  ackTxNs: {
    valueNs: 600,
    basis: 'estimate',
    description: 'guest CPU to build and post one TCP ACK skb (excluding its DMA map/unmap)',
    source: 'estimate',
  },
  ackRxNs: {
    valueNs: 500,
    basis: 'estimate',
    description: 'guest CPU of the sender to receive one ACK (driver RX of a small packet, tcp_ack, retransmit-queue clean), excluding DMA work',
    source: 'estimate (the RX buffer of an ACK is recycled by the page pool: no map or unmap)',
  },
  txSkbNs: {
    valueNs: 200,
    basis: 'calibrated',
    description: 'guest CPU per TSO skb on the send path (tcp_sendmsg, skb allocation, qdisc, driver xmit and TX clean), excluding the copy and DMA work',
    source: 'fitted to the send result of "[PATCH 2/4] iommu/vt-d: Avoid superfluous IOTLB tracking in lazy mode" (~54 Gbit/s lazy); see docs/MODEL.md',
  },
  napiPollNs: {
    valueNs: 400,
    basis: 'estimate',
    description: 'fixed guest CPU cost of one NAPI poll (interrupt entry, budget loop, ring refill doorbell)',
    source: 'estimate',
  },

  // Guest DMA-API work (dma-iommu.c, iova.c).
  iovaRcacheHitNs: {
    valueNs: 40,
    basis: 'estimate',
    description: 'IOVA allocation or free served by the per-CPU rcache magazines',
    source: 'estimate; Peleg et al. ATC 2015 (per-CPU caches make the common case a few dozen ns)',
  },
  iovaDepotNs: {
    valueNs: 250,
    basis: 'estimate',
    description: 'exchanging a full or empty magazine with the shared depot (takes the depot lock)',
    source: 'estimate',
  },
  iovaRbtreeNs: {
    valueNs: 1500,
    basis: 'estimate',
    description: 'IOVA allocation or free that misses the caches and walks the locked rbtree',
    source: 'estimate; Peleg et al. ATC 2015 (rbtree allocation dominates unscalable IOVA management)',
  },
  ptePerPageNs: {
    valueNs: 60,
    basis: 'estimate',
    description: 'guest writes or clears one I/O page-table entry (including the cache flush of the PTE line)',
    source: 'estimate',
  },
  lazyGatherTrackingNs: {
    valueNs: 297,
    basis: 'calibrated',
    description: 'guest CPU per lazy unmap on VT-d kernels that still track the IOVA range in the gather (v5.11 to v6.2, before 5.15.99, 6.1.16, 6.2.3)',
    source: 'fitted to the send result before "[PATCH 2/4] iommu/vt-d: Avoid superfluous IOTLB tracking in lazy mode" (~48 Gbit/s, against ~54 after it), so that row is fitted, not predicted; see docs/MODEL.md',
  },
  fqQueueNs: {
    valueNs: 30,
    basis: 'estimate',
    description: 'queue_iova(): add one entry to a flush-queue ring',
    source: 'estimate',
  },

  // Bare-metal hardware.
  hwInvalidationNs: {
    valueNs: 2000,
    basis: 'estimate',
    description: 'hardware IOTLB invalidation plus wait descriptor completion (bare metal, or on the host)',
    source: 'DOMAIN.md §6 (1-3 us, estimate); consistent with ~6,900 cycles per strict (un)map on bare metal (vIOMMU, ATC 2011)',
  },

  smmuCmdqSyncNs: {
    valueNs: 357,
    basis: 'calibrated',
    description: 'SMMUv3 (bare metal): one TLBI plus CMD_SYNC through the command queue of one SMMU, served in order while the CPU polls for the sync',
    source: 'fitted to the strict point of NVIDIA NV-Kernels PR #182 (8 NVMe on Grace, 4 KiB randread, strict 2.8M IOPS with every drive behind one SMMU: 1 / 2.8M per second); the only figure for it, so that row is fitted, not predicted',
  },

  // NVMe under fio, excluding all IOMMU work.
  nvmeSubmitNs: {
    valueNs: 1500,
    basis: 'estimate',
    description: 'CPU per I/O submitted: fio\'s submission (io_uring or libaio), the block layer (bio, blk-mq tag and request) and nvme_queue_rq (command build, doorbell)',
    source: 'estimate (a few thousand cycles per I/O on the kernel\'s submission path; one core submits and completes several hundred thousand 4 KiB I/Os per second)',
  },
  nvmeCompleteNs: {
    valueNs: 1000,
    basis: 'estimate',
    description: 'CPU per I/O completed: the completion entry in nvme_irq, blk_mq_complete_request, bio end and fio\'s reap',
    source: 'estimate',
  },
  nvmeIrqNs: {
    valueNs: 800,
    basis: 'estimate',
    description: 'CPU per NVMe completion interrupt: entry, handler dispatch and exit, whatever the number of completions it reaps',
    source: 'estimate',
  },

  // Exits and the VMM.
  exitRoundTripNs: {
    valueNs: 1852,
    basis: 'calibrated',
    description: 'VM exit to QEMU user space and back (MMIO write of the invalidation-queue tail), outside QEMU\'s lock',
    source: 'fitted to the seed patch strict result (39.3 Gbit/s); below the 3-10 us estimate of DOMAIN.md §6 because q_lock serialization puts part of the strict cost on waits (docs/MODEL.md)',
  },
  kvmExitNs: {
    valueNs: 450,
    basis: 'measured',
    description: 'in-kernel KVM exit round trip (about 1,050 cycles at 2.3 GHz)',
    source: 'KVM list, kvm-unit-tests vmexit cpuid (DOMAIN.md §6)',
  },
  qiHandleNs: {
    valueNs: 800,
    basis: 'estimate',
    description: 'QEMU fetches and decodes one invalidation-queue submission and completes its wait descriptor, under the BQL',
    source: 'estimate',
  },
  qemuPteReadNs: {
    valueNs: 75,
    basis: 'estimate',
    description: 'QEMU reads one guest I/O page-table entry during a page walk',
    source: 'DOMAIN.md §6 (50-100 ns, estimate)',
  },
  qemuIovaTreeNs: {
    valueNs: 100,
    basis: 'estimate',
    description: 'QEMU checks one present leaf against its shadow IOVA tree during a sync walk',
    source: 'estimate',
  },
  vfioMapNs: {
    valueNs: 5000,
    basis: 'estimate',
    description: 'one VFIO MAP_DMA ioctl for a 4 KiB page (pin the host page and map it in the host IOMMU)',
    source: 'DOMAIN.md §6 (2-10 us, estimate)',
  },
  vfioUnmapNs: {
    valueNs: 5000,
    basis: 'estimate',
    description: 'one VFIO UNMAP_DMA ioctl for a 4 KiB page (host IOMMU unmap, host IOTLB flush, unpin)',
    source: 'DOMAIN.md §6 (2-10 us, estimate)',
  },
  hostInvalidationNs: {
    valueNs: 2000,
    basis: 'estimate',
    description: 'one forwarded invalidation on the host IOMMU (descriptor plus wait), per descriptor and device',
    source: 'DOMAIN.md §6 (host invalidation + wait 1-3 us, estimate)',
  },
  virtioRequestNs: {
    valueNs: 500,
    basis: 'estimate',
    description: 'QEMU pops and decodes one virtio-iommu request (MAP or UNMAP), looks it up in its mapping tree and notifies the VFIO listener, under the BQL, excluding the VFIO ioctl',
    source: 'estimate (comparable to fetching one invalidation descriptor, qiHandleNs, without the wait descriptor)',
  },
  wpFaultNs: {
    valueNs: 2500,
    basis: 'estimate',
    description: 'write-protection fault on a guest page-table page: exit, decode and emulate the PTE write, update the shadow entry',
    source: 'estimate (an in-kernel exit plus instruction emulation and shadow bookkeeping)',
  },
} as const satisfies Record<string, CostEntry>;

export type CostName = keyof typeof COST_TABLE;
export type Costs = Record<CostName, number>;

export const COST_NAMES = Object.keys(COST_TABLE) as CostName[];

export function defaultCosts(): Costs {
  const costs = {} as Costs;
  for (const name of COST_NAMES) costs[name] = COST_TABLE[name].valueNs;
  return costs;
}
