/**
 * The patches page's drawing: render(state) brings the DOM up to date with a state from
 * ./state.ts, touching only what changed since the last call — the badge and error, the grid of
 * patches, the whitened images with boxes where the shown patches were cut, and the line about
 * the hovered one.
 */
import { drawNetwork } from '../../display/canvas';
import { integerScale } from '../common/draw';
import { describeHovered, describeSample, type PatchesState } from './state';
import type { ImagePicture } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

export class PatchesViews {
  private readonly el = {
    canvas: $<HTMLCanvasElement>('patches-canvas'),
    status: $('patches-status'),
    title: $('patches-title'),
    summary: $('patches-summary'),
    detail: $('patch-detail'),
    images: $('images'),
    imagesStatus: $('images-status'),
    error: $('error'),
  };
  private readonly overlays: HTMLCanvasElement[] = [];
  private last: PatchesState | undefined;

  render(state: PatchesState): void {
    const last = this.last;
    this.last = state;
    const el = this.el;
    if (state.state !== last?.state) document.body.dataset.state = state.state;
    if (state.status !== last?.status) {
      el.status.className = `badge ${state.status.kind}`;
      el.status.textContent = state.status.text;
    }
    if (state.error !== (last?.error ?? '')) {
      el.error.textContent = state.error;
      el.error.hidden = !state.error;
    }
    if (state.images !== last?.images) this.showImages(state.images);
    if (state.sampled && state.sampled !== last?.sampled) {
      const { picture } = state.sampled;
      const scale = integerScale(picture.width, 480, 8);
      drawNetwork(el.canvas, picture, { scale });
      el.canvas.style.width = `${picture.width * scale}px`;
      const { title, summary } = describeSample(state.sampled);
      el.title.textContent = title;
      el.summary.textContent = summary;
    }
    if (state.sampled !== last?.sampled || state.hovered !== last?.hovered || state.images !== last?.images) {
      this.drawBoxes(state);
      el.detail.textContent = describeHovered(state);
    }
  }

  private showImages(images: readonly ImagePicture[]): void {
    this.el.images.replaceChildren();
    this.overlays.length = 0;
    let pixels = 0;
    for (const [k, image] of images.entries()) {
      const figure = document.createElement('figure');
      const picture = document.createElement('canvas');
      picture.width = image.width;
      picture.height = image.height;
      picture.setAttribute('aria-label', `whitened image ${k + 1}: ${image.name}`);
      const ctx = picture.getContext('2d')!;
      const data = ctx.createImageData(image.width, image.height);
      for (let i = 0; i < image.gray.length; i++) {
        const g = image.gray[i];
        data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = g;
        data.data[4 * i + 3] = 255;
      }
      ctx.putImageData(data, 0, 0);
      const overlay = document.createElement('canvas');
      overlay.className = 'overlay';
      overlay.width = image.width;
      overlay.height = image.height;
      this.overlays.push(overlay);
      const caption = document.createElement('figcaption');
      const name = document.createElement('span');
      name.textContent = `${k + 1}. ${image.name}`;
      const size = document.createElement('span');
      size.textContent = `${image.width}×${image.height}`;
      caption.append(name, size);
      const frame = document.createElement('div');
      frame.className = 'frame';
      frame.append(picture, overlay);
      figure.append(frame, caption);
      this.el.images.append(figure);
      pixels += image.width * image.height;
    }
    this.el.imagesStatus.textContent = images.length ? `${images.length} images · ${(pixels / 1e6).toFixed(2)} megapixels` : '';
  }

  /** A box on its image around each patch shown; a heavier one, and a circle, around the hovered one. */
  private drawBoxes({ sampled, hovered }: PatchesState): void {
    const shown = sampled?.shown;
    const p = sampled?.request.patchSize ?? 8;
    for (const [k, overlay] of this.overlays.entries()) {
      const ctx = overlay.getContext('2d')!;
      ctx.clearRect(0, 0, overlay.width, overlay.height);
      if (!shown) continue;
      ctx.lineWidth = 1.5;
      for (const [i, s] of shown.entries()) {
        if (s.image !== k || i === hovered) continue;
        ctx.strokeStyle = 'rgba(255, 196, 0, 0.85)';
        ctx.strokeRect(s.left - 0.5, s.top - 0.5, p + 1, p + 1);
      }
      if (hovered >= 0 && shown[hovered]?.image === k) {
        const s = shown[hovered];
        ctx.lineWidth = 3;
        ctx.strokeStyle = '#ff3b30';
        ctx.strokeRect(s.left - 3, s.top - 3, p + 6, p + 6);
        ctx.beginPath();
        ctx.arc(s.left + p / 2, s.top + p / 2, 5 * p, 0, 2 * Math.PI);
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    }
  }
}
