/**
 * The drawing pad of the classification page: strokes by mouse, touch or pen (pointer events),
 * dark ink on white as the test digits are shown. After each frame with new ink it hands the
 * ink (1 − red / 255, row-major) to `onInk`, which prepares it as MNIST's digits were
 * (./digit-pad.ts). The strokes are wide enough that a digit drawn across the pad keeps
 * MNIST's stroke width once it is scaled to 20 pixels.
 */
export class DigitPad {
  private readonly ctx: CanvasRenderingContext2D;
  private last: { x: number; y: number; id: number } | undefined;
  private frame = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onInk: (ink: Float32Array, width: number, height: number) => void,
  ) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (event) => {
      if (event.pointerType === 'mouse' && event.button !== 0) return;
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const p = this.point(event);
      this.last = { ...p, id: event.pointerId };
      this.stroke(p, p);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!this.last || this.last.id !== event.pointerId) return;
      // Fast strokes arrive coalesced: every point, not only the last of the frame.
      for (const e of event.getCoalescedEvents?.() ?? [event]) {
        const p = this.point(e);
        this.stroke(this.last, p);
        this.last = { ...p, id: event.pointerId };
      }
    });
    const end = (event: PointerEvent) => {
      if (this.last?.id === event.pointerId) this.last = undefined;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  private point(event: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) * this.canvas.width) / rect.width, y: ((event.clientY - rect.top) * this.canvas.height) / rect.height };
  }

  private stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const { ctx, canvas } = this;
    ctx.strokeStyle = '#000';
    ctx.lineWidth = canvas.width / 14;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    this.frame ||= requestAnimationFrame(() => {
      this.frame = 0;
      this.onInk(this.ink(), canvas.width, canvas.height);
    });
  }

  private ink(): Float32Array {
    const { width, height } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    for (let i = 0; i < ink.length; i++) ink[i] = 1 - rgba[4 * i] / 255;
    return ink;
  }
}
