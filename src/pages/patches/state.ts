/**
 * What the patches page shows, as one value changed only by reduce(state, message): the
 * worker's messages (./worker.ts) and the page's own events (the form, "Show 200 others", the
 * mouse over the patches). No DOM here (test/pages/patches-state.test.ts); ./views.ts draws it.
 * What must happen outside — a request to the worker — main.ts reads off the new state: a new
 * `request` object is one to send. The state holds facts; ./views.ts puts them into words.
 */
import { BORDER, gridLayout } from '../../display/network';
import type { ImagePicture, PatchesMessage, SampleRequest } from './worker';

/** How many of the sampled patches the page shows at once. */
export const SHOWN = 200;

export type Sampled = Extract<PatchesMessage, { type: 'sampled' }>;

/** What the badge beside the patches says: what the page is doing, or how the latest sample went. */
export type Status =
  | { kind: 'loading' }
  | { kind: 'sampling' }
  /** The worker's own words while it works on a request. */
  | { kind: 'worker'; text: string }
  /** `shown` of `patches` sampled, in `seconds`. */
  | { kind: 'sampled'; shown: number; patches: number; seconds: number }
  | { kind: 'failed' };

/** The form's fields as typed (strings), read when the page asks for patches. */
export interface Fields {
  patches: string;
  patchSize: string;
  seed: string;
}

export interface PatchesState {
  state: 'loading' | 'ready' | 'error';
  status: Status;
  /** Which `SHOWN` of the sample to show: 1 after "Sample", one more for each "Show 200 others". */
  showSeed: number;
  /** The whitened images, once the worker has sent them. */
  images: ImagePicture[];
  /** Whether they came prepared from this browser's cache (IndexedDB) rather than decoded and whitened now. */
  imagesFromCache: boolean;
  /** The latest sample; kept while the next one is being drawn. */
  sampled?: Sampled;
  /** The patch under the mouse (its place among those shown), or -1. */
  hovered: number;
  /** The latest failure's message (it stays shown). */
  error: string;
  /** The request main.ts is to send to the worker; a new object for each. */
  request?: SampleRequest;
}

/** What the page itself does. The worker's replies are PatchesMessage. */
export type PageEvent =
  /** "Sample" (and the page's first request): these settings, the first `SHOWN` of them. */
  | { type: 'sample'; fields: Fields }
  /** "Show 200 others": the same settings as typed now, the next `SHOWN`. */
  | { type: 'reshuffle'; fields: Fields }
  /** The mouse over the patches' canvas, as fractions (0–1) of its width and height. */
  | { type: 'hover'; x: number; y: number }
  | { type: 'leave' };

export type Message = PatchesMessage | PageEvent;

export const initialState: PatchesState = Object.freeze({
  state: 'loading',
  status: { kind: 'loading' },
  showSeed: 1,
  images: [],
  imagesFromCache: false,
  hovered: -1,
  error: '',
}) as PatchesState;

/** The worker's request for these fields: at least `SHOWN` patches of at least 2×2, defaults for what is not a number. */
export function sampleRequest(fields: Fields, showSeed: number): SampleRequest {
  return {
    type: 'sample',
    patches: Math.max(SHOWN, Math.round(Number(fields.patches) || 10_000)),
    patchSize: Math.max(2, Math.round(Number(fields.patchSize) || 8)),
    seed: Math.round(Number(fields.seed) || 0),
    showSeed,
    shown: SHOWN,
  };
}

/** Which patch of the grid lies at (x, y), fractions of the picture's width and height; -1 for none (a border, outside). */
export function patchAt(sampled: Sampled, x: number, y: number): number {
  const p = sampled.request.patchSize;
  const count = sampled.indices.length;
  if (count === 0) return -1;
  const { columns } = gridLayout(count);
  const col = Math.floor((x * sampled.picture.width - BORDER) / (p + BORDER));
  const row = Math.floor((y * sampled.picture.height - BORDER) / (p + BORDER));
  const i = row * columns + col;
  return col >= 0 && col < columns && i >= 0 && i < count ? i : -1;
}

function requested(state: PatchesState, fields: Fields, showSeed: number): PatchesState {
  return {
    ...state,
    state: 'loading',
    showSeed,
    status: { kind: 'sampling' },
    request: sampleRequest(fields, showSeed),
  };
}

export function reduce(state: PatchesState, message: Message): PatchesState {
  switch (message.type) {
    case 'sample':
      return requested(state, message.fields, 1);
    case 'reshuffle':
      return requested(state, message.fields, state.showSeed + 1);
    case 'hover': {
      if (!state.sampled) return state;
      const hovered = patchAt(state.sampled, message.x, message.y);
      return hovered === state.hovered ? state : { ...state, hovered };
    }
    case 'leave':
      return state.hovered === -1 ? state : { ...state, hovered: -1 };
    case 'status':
      return { ...state, status: { kind: 'worker', text: message.text } };
    case 'images':
      return { ...state, images: message.images, imagesFromCache: message.fromCache };
    case 'sampled': {
      const { indices, request, seconds } = message;
      const status: Status = { kind: 'sampled', shown: indices.length, patches: request.patches, seconds };
      return { ...state, state: 'ready', status, sampled: message, hovered: -1 };
    }
    case 'error':
      return { ...state, state: 'error', status: { kind: 'failed' }, error: message.message };
    default:
      return state;
  }
}

/** What tests read as window.patchesPage. */
export function summary(state: PatchesState) {
  return {
    state: state.state,
    shown: state.sampled?.indices.length ?? 0,
    images: state.images.length,
    imagesFrom: state.imagesFromCache ? 'cache' : 'prepared',
    positionsKnown: !!state.sampled?.shown,
    error: state.error,
  };
}
