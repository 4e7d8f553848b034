/**
 * The patches page's drawing: render(state) brings the DOM up to date with a state from
 * ./state.ts, touching only what changed since the last call — the badge and error, the grid of
 * patches, the whitened images with boxes where the shown patches were cut, and the line about
 * the hovered one — and the words for the state's facts, as pure functions
 * (test/pages/patches-views.test.ts).
 */
import { drawNetwork } from '../../display/canvas';
import { formatNumber } from '../common/charts';
import { integerScale } from '../common/draw';
import type { PatchesState, Sampled, Status } from './state';
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
      const badge = statusBadge(state.status);
      el.status.className = `badge ${badge.kind}`;
      el.status.textContent = badge.text;
    }
    if (state.error !== (last?.error ?? '')) {
      el.error.textContent = state.error;
      el.error.hidden = !state.error;
    }
    if (state.images !== last?.images) this.showImages(state.images, state.imagesFromCache);
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

  private showImages(images: readonly ImagePicture[], fromCache: boolean): void {
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
    this.el.imagesStatus.textContent = images.length ? `${images.length} images · ${(pixels / 1e6).toFixed(2)} megapixels${fromCache ? ' · prepared earlier, from this browser’s cache' : ''}` : '';
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

/** The badge for a status: its look (running, pass, fail) and its words. */
export function statusBadge(status: Status): { kind: 'running' | 'pass' | 'fail'; text: string } {
  switch (status.kind) {
    case 'loading':
      return { kind: 'running', text: 'loading…' };
    case 'sampling':
      return { kind: 'running', text: 'sampling…' };
    case 'worker':
      return { kind: 'running', text: status.text };
    case 'sampled':
      return { kind: 'pass', text: `${status.shown} of ${status.patches.toLocaleString('en')} · ${status.seconds.toFixed(1)} s` };
    case 'failed':
      return { kind: 'fail', text: 'failed' };
  }
}

/** The heading and the paragraph beside the patches. */
export function describeSample({ indices, request: r, range }: Sampled): { title: string; summary: string } {
  return {
    title: `${indices.length} random patches of ${r.patchSize}×${r.patchSize}`,
    summary:
      `${r.patches.toLocaleString('en')} patches sampled with seed ${r.seed}; after normalization their values span ` +
      `[${formatNumber(range.min)}, ${formatNumber(range.max)}] with mean ${formatNumber(range.mean)}. ` +
      `Each tile is drawn as display_network does: the mean of all removed, each scaled by its own largest |value|.`,
  };
}

/** The line under the summary: where the hovered patch was cut, or why that is not known. */
export function describeHovered(state: PatchesState): string {
  const { sampled, hovered: i, images } = state;
  if (!sampled) return '';
  if (i < 0) return sampled.shown ? '' : 'Where the patches were cut could not be worked out for this sampler.';
  const s = sampled.shown?.[i];
  const p = sampled.request.patchSize;
  return s
    ? `Patch ${i + 1} (no. ${sampled.indices[i] + 1} of the sample): image ${s.image + 1} (${images[s.image]?.name ?? ''}), rows ${s.top}–${s.top + p - 1}, columns ${s.left}–${s.left + p - 1}.`
    : `Patch ${i + 1} (no. ${sampled.indices[i] + 1} of the sample).`;
}
