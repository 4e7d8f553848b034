/**
 * What a device was asked to do: submissions, compute dispatches and read-backs (mapAsync).
 * These are deterministic for a given run, unlike times, so tests can hold budgets on them, and
 * every training run reports them. Counted at the device itself (instance methods wrapped once,
 * when the context is made), so no code path can do work without being counted.
 */

export interface GpuCounters {
  submissions: number;
  dispatches: number;
  readBacks: number;
  /** Buffers and bind groups made (and buffers destroyed): a loop in steady state makes none. */
  buffersCreated: number;
  buffersDestroyed: number;
  bindGroupsCreated: number;
  /**
   * GPU time measured with timestamp queries, where the adapter offers them (seconds). L-BFGS
   * times one evaluation in TIMED_EVERY (src/gpu/lbfgs.ts) and counts it for all of them.
   */
  gpuSeconds: number;
}

export function zeroCounters(): GpuCounters {
  return { submissions: 0, dispatches: 0, readBacks: 0, buffersCreated: 0, buffersDestroyed: 0, bindGroupsCreated: 0, gpuSeconds: 0 };
}

/** b − a, field by field: the work done between two readings. */
export function countersSince(a: GpuCounters, b: GpuCounters): GpuCounters {
  return {
    submissions: b.submissions - a.submissions,
    dispatches: b.dispatches - a.dispatches,
    readBacks: b.readBacks - a.readBacks,
    buffersCreated: b.buffersCreated - a.buffersCreated,
    buffersDestroyed: b.buffersDestroyed - a.buffersDestroyed,
    bindGroupsCreated: b.bindGroupsCreated - a.bindGroupsCreated,
    gpuSeconds: b.gpuSeconds - a.gpuSeconds,
  };
}

/**
 * Wraps the device's queue.submit, its passes' dispatches, its buffers' mapAsync and destroy,
 * and its createBuffer and createBindGroup, to count them.
 */
export function countDeviceWork(device: GPUDevice, counters: GpuCounters): void {
  const queue = device.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (commandBuffers: Iterable<GPUCommandBuffer>) => {
    counters.submissions++;
    submit(commandBuffers);
  };
  const createCommandEncoder = device.createCommandEncoder.bind(device);
  device.createCommandEncoder = (descriptor?: GPUCommandEncoderDescriptor) => {
    const encoder = createCommandEncoder(descriptor);
    const beginComputePass = encoder.beginComputePass.bind(encoder);
    encoder.beginComputePass = (passDescriptor?: GPUComputePassDescriptor) => {
      const pass = beginComputePass(passDescriptor);
      const dispatchWorkgroups = pass.dispatchWorkgroups.bind(pass);
      pass.dispatchWorkgroups = (x: number, y?: number, z?: number) => {
        counters.dispatches++;
        dispatchWorkgroups(x, y, z);
      };
      return pass;
    };
    return encoder;
  };
  const createBindGroup = device.createBindGroup.bind(device);
  device.createBindGroup = (descriptor: GPUBindGroupDescriptor) => {
    counters.bindGroupsCreated++;
    return createBindGroup(descriptor);
  };
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    counters.buffersCreated++;
    const destroy = buffer.destroy.bind(buffer);
    let destroyed = false;
    buffer.destroy = () => {
      if (!destroyed) counters.buffersDestroyed++;
      destroyed = true;
      destroy();
    };
    if (descriptor.usage & GPUBufferUsage.MAP_READ) {
      const mapAsync = buffer.mapAsync.bind(buffer);
      buffer.mapAsync = (mode: GPUMapModeFlags, offset?: number, size?: number) => {
        counters.readBacks++;
        return mapAsync(mode, offset, size);
      };
    }
    return buffer;
  };
}

/**
 * Timestamps at the start and end of one compute pass, resolved into a buffer that is copied
 * into the caller's read-back, so timing adds no wait of its own. Only where the device has the
 * 'timestamp-query' feature.
 */
export class PassTimer {
  /** Bytes the timestamps take in a read-back (two u64). */
  static readonly BYTES = 16;
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;

  private constructor(device: GPUDevice) {
    this.querySet = device.createQuerySet({ label: 'pass timestamps', type: 'timestamp', count: 2 });
    this.resolve = device.createBuffer({ label: 'timestamp resolve', size: PassTimer.BYTES, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  }

  static create(device: GPUDevice): PassTimer | null {
    return device.features.has('timestamp-query') ? new PassTimer(device) : null;
  }

  /** For the pass descriptor. */
  get timestampWrites(): GPUComputePassTimestampWrites {
    return { querySet: this.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 };
  }

  /** After the pass ends: resolves the timestamps and copies them to dst at dstOffset (a multiple of 8). */
  encodeCopy(encoder: GPUCommandEncoder, dst: GPUBuffer, dstOffset: number): void {
    encoder.resolveQuerySet(this.querySet, 0, 2, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, dst, dstOffset, PassTimer.BYTES);
  }

  /** The pass's duration in seconds from the mapped read-back bytes (0 if the clock went back). */
  static seconds(mapped: ArrayBuffer, offset: number): number {
    const [begin, end] = new BigUint64Array(mapped, offset, 2);
    return end > begin ? Number(end - begin) / 1e9 : 0;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }
}
