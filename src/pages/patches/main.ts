/**
 * The patches page: UFLDL's Step 1 picture (200 random normalized patches, display_network)
 * and the whitened images they were cut from, with the patches' places marked.
 */
import { drawNetwork } from '../../display/canvas';
import { BORDER, gridLayout } from '../../display/network';
import { formatNumber } from '../common/charts';
import { integerScale } from '../common/draw';
import type { ImagePicture, PatchesMessage, SampleRequest } from './worker';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>('patch-settings');
const fields = { patches: $<HTMLInputElement>('patches'), patchSize: $<HTMLInputElement>('patchSize'), seed: $<HTMLInputElement>('seed') };
const canvas = $<HTMLCanvasElement>('patches-canvas');
const status = $('patches-status');
const summary = $('patches-summary');
const detail = $('patch-detail');
const imagesBox = $('images');
const imagesStatus = $('images-status');
const errorBox = $('error');

const SHOWN = 200;
const query = new URLSearchParams(location.search);
for (const [name, input] of Object.entries(fields)) {
  const value = query.get(name);
  if (value !== null && value.trim() !== '' && Number.isFinite(Number(value))) input.value = value;
}
let showSeed = 1;
let images: ImagePicture[] = [];
const overlays: HTMLCanvasElement[] = [];
let last: Extract<PatchesMessage, { type: 'sampled' }> | undefined;
let scale = 3;
let hovered = -1;

const page = { state: 'loading', shown: 0, images: 0, positionsKnown: false, error: '' };
(window as unknown as { patchesPage: typeof page }).patchesPage = page;

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'patches' });
worker.onmessage = (event: MessageEvent<PatchesMessage>) => onMessage(event.data);
worker.onerror = (event) => {
  event.preventDefault();
  showError(`the worker failed: ${event.message || 'unknown error'}`);
};

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
  status.className = 'badge fail';
  status.textContent = 'failed';
  page.state = 'error';
  page.error = message;
  document.body.dataset.state = 'error';
}

function request(): void {
  const message: SampleRequest = {
    type: 'sample',
    patches: Math.max(SHOWN, Math.round(Number(fields.patches.value) || 10_000)),
    patchSize: Math.max(2, Math.round(Number(fields.patchSize.value) || 8)),
    seed: Math.round(Number(fields.seed.value) || 0),
    showSeed,
    shown: SHOWN,
  };
  status.className = 'badge running';
  status.textContent = 'sampling…';
  page.state = 'loading';
  document.body.dataset.state = 'loading';
  worker.postMessage(message);
}

function onMessage(message: PatchesMessage): void {
  switch (message.type) {
    case 'status':
      status.textContent = message.text;
      return;
    case 'images':
      images = message.images;
      page.images = images.length;
      showImages();
      return;
    case 'sampled':
      last = message;
      showPatches(message);
      return;
    case 'error':
      showError(message.message);
      return;
  }
}

function showImages(): void {
  imagesBox.replaceChildren();
  overlays.length = 0;
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
    overlays.push(overlay);
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
    imagesBox.append(figure);
    pixels += image.width * image.height;
  }
  imagesStatus.textContent = `${images.length} images · ${(pixels / 1e6).toFixed(2)} megapixels`;
}

function showPatches(message: Extract<PatchesMessage, { type: 'sampled' }>): void {
  const { picture, request: r, range } = message;
  scale = integerScale(picture.width, 480, 8);
  drawNetwork(canvas, picture, { scale });
  canvas.style.width = `${picture.width * scale}px`;
  status.className = 'badge pass';
  status.textContent = `${message.indices.length} of ${r.patches.toLocaleString('en')} · ${message.seconds.toFixed(1)} s`;
  $('patches-title').textContent = `${message.indices.length} random patches of ${r.patchSize}×${r.patchSize}`;
  summary.textContent =
    `${r.patches.toLocaleString('en')} patches sampled with seed ${r.seed}; after normalization their values span ` +
    `[${formatNumber(range.min)}, ${formatNumber(range.max)}] with mean ${formatNumber(range.mean)}. ` +
    `Each tile is drawn as display_network does: the mean of all removed, each scaled by its own largest |value|.`;
  page.state = 'ready';
  page.shown = message.indices.length;
  page.positionsKnown = !!message.shown;
  document.body.dataset.state = 'ready';
  hovered = -1;
  drawBoxes();
  describe(-1);
}

function drawBoxes(): void {
  const shown = last?.shown;
  const p = last?.request.patchSize ?? 8;
  for (const [k, overlay] of overlays.entries()) {
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

function describe(i: number): void {
  const s = last?.shown?.[i];
  if (!last || i < 0) {
    detail.textContent = last?.shown ? '' : last ? 'Where the patches were cut could not be worked out for this sampler.' : '';
    return;
  }
  const p = last.request.patchSize;
  detail.textContent = s
    ? `Patch ${i + 1} (no. ${last.indices[i] + 1} of the sample): image ${s.image + 1} (${images[s.image]?.name ?? ''}), rows ${s.top}–${s.top + p - 1}, columns ${s.left}–${s.left + p - 1}.`
    : `Patch ${i + 1} (no. ${last.indices[i] + 1} of the sample).`;
}

canvas.addEventListener('mousemove', (event) => {
  if (!last) return;
  const rect = canvas.getBoundingClientRect();
  const x = ((event.clientX - rect.left) / rect.width) * canvas.width / scale;
  const y = ((event.clientY - rect.top) / rect.height) * canvas.height / scale;
  const p = last.request.patchSize;
  const { columns } = gridLayout(last.indices.length);
  const col = Math.floor((x - BORDER) / (p + BORDER));
  const row = Math.floor((y - BORDER) / (p + BORDER));
  const i = row * columns + col;
  const next = col >= 0 && col < columns && i >= 0 && i < last.indices.length ? i : -1;
  if (next === hovered) return;
  hovered = next;
  drawBoxes();
  describe(next);
});
canvas.addEventListener('mouseleave', () => {
  hovered = -1;
  drawBoxes();
  describe(-1);
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  showSeed = 1;
  request();
});
$('reshuffle').addEventListener('click', () => {
  showSeed++;
  request();
});

request();
