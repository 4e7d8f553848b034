/**
 * Whether this browser offers WebGPU, which adapter, and — when it does not — what to do
 * about it. The pages fall back to the float64 reference (small problems only) without it.
 */
import { adapterLabel, summarizeAdapter, type AdapterSummary } from '../../gpu/adapter';

export type WebGpuStatus =
  | { available: true; adapter: AdapterSummary }
  | { available: false; reason: 'insecure-context' | 'no-api' | 'no-adapter' | 'error'; detail?: string };

/** Asks for an adapter (the same request the GPU pipeline makes: no options). */
export async function probeWebGpu(): Promise<WebGpuStatus> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    return { available: false, reason: globalThis.isSecureContext === false ? 'insecure-context' : 'no-api' };
  }
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'no-adapter' };
    return { available: true, adapter: summarizeAdapter(adapter) };
  } catch (error) {
    return { available: false, reason: 'error', detail: error instanceof Error ? error.message : String(error) };
  }
}

/** A short sentence for the reason, then what to do, as HTML-free strings. */
export function webGpuAdvice(status: Exclude<WebGpuStatus, { available: true }>): { headline: string; steps: string[] } {
  const headline =
    status.reason === 'insecure-context'
      ? 'WebGPU is off because this page is not a secure context.'
      : status.reason === 'no-api'
        ? 'This browser does not offer WebGPU (navigator.gpu is missing).'
        : status.reason === 'no-adapter'
          ? 'This browser supports WebGPU but found no usable GPU adapter.'
          : `Asking for a WebGPU adapter failed${status.detail ? `: ${status.detail}` : '.'}`;
  const steps =
    status.reason === 'insecure-context'
      ? [
          'WebGPU only exists on https:// pages and on http://localhost. Open the page as http://localhost:<port>/ (npm run dev or npm run preview) instead of a LAN address, or serve it over https.',
        ]
      : [
          'Use a browser with WebGPU: Chrome or Edge 113+ on Windows, macOS and ChromeOS; Chrome 121+ on Android 12+; Safari 26+ on macOS and iOS; Firefox 141+ on Windows.',
          'On Linux, Chrome may need it switched on: open chrome://flags, enable “Unsafe WebGPU Support” (#enable-unsafe-webgpu) and “Vulkan” (#enable-vulkan), and relaunch — or start it with --enable-unsafe-webgpu --enable-features=Vulkan.',
          status.reason === 'no-adapter'
            ? 'If it is already on, the GPU may be blocklisted: chrome://gpu tells why; updating the graphics driver usually helps. Headless Chrome offers a software adapter (SwiftShader) with --enable-unsafe-webgpu.'
            : 'In Firefox Nightly on other systems, set dom.webgpu.enabled to true in about:config.',
        ];
  return { headline, steps };
}

/** The page elements that show WebGPU's status: the adapter badge and the no-WebGPU notice. */
export interface WebGpuStatusElements {
  adapter: HTMLElement;
  adapterText: HTMLElement;
  noWebGpu: HTMLElement;
  noWebGpuHeadline: HTMLElement;
  noWebGpuSteps: HTMLElement;
}

/** Shows the adapter in the badge, or `withoutText` there and the notice of what to do. (Main thread only.) */
export function showWebGpuStatus(el: WebGpuStatusElements, status: WebGpuStatus, withoutText: string): void {
  if (status.available) {
    el.adapter.dataset.kind = 'gpu';
    const label = adapterLabel(status.adapter);
    el.adapterText.textContent = `WebGPU · ${label}`;
    el.adapter.title = `WebGPU adapter: ${label}`;
    return;
  }
  el.adapter.dataset.kind = 'cpu';
  el.adapterText.textContent = withoutText;
  const advice = webGpuAdvice(status);
  el.noWebGpuHeadline.textContent = advice.headline;
  el.noWebGpuSteps.replaceChildren(
    ...advice.steps.map((step) => {
      const li = document.createElement('li');
      li.textContent = step;
      return li;
    }),
  );
  el.noWebGpu.hidden = false;
}
