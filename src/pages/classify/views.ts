/**
 * The classification page's drawing: render(state) brings the DOM up to date with a state
 * from ./state.ts, touching only what changed since the last call (a cost point, a new feature
 * picture). It never decides anything the reducer should.
 */
import { drawNetwork } from '../../display/canvas';
import { formatNumber, LogLineChart } from '../common/charts';
import { integerScale } from '../common/draw';
import { taskNames } from '../../classify/pipeline';
import { numberFields, type LinkProblem, type NumberField } from './link';
import type { DigitFeature, DigitSample, PooledFeature } from './protocol';
import { accuracyNames, type ClassifyState, type LayerFeatures, type PooledMaps, type StageState, type StageStatus, type Status } from './state';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; text?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.text !== undefined) element.textContent = props.text;
  element.append(...children);
  return element;
}

const statusBadge: Record<StageStatus, { className: string; text: string }> = {
  waiting: { className: 'badge', text: 'waiting' },
  running: { className: 'badge running', text: 'running' },
  done: { className: 'badge pass', text: 'done' },
  stopped: { className: 'badge skip', text: 'stopped' },
};

const kindColor = { autoencoder: '#2463c9', softmax: '#1f8a4c', finetune: '#d9731a', convolution: '#7a4bb5' } as const;

export const percent = (value: number) => `${(100 * value).toFixed(1)}%`;

function seconds(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value < 60) return `${value.toFixed(1)} s`;
  const m = Math.floor(value / 60);
  return `${m} min ${Math.round(value - 60 * m)} s`;
}

interface StageCard {
  name: string;
  root: HTMLElement;
  badge: HTMLElement;
  meta: HTMLElement;
  footer: HTMLElement;
  /** The cost chart, or for the convolution (no cost) a bar of the images done. */
  chart?: LogLineChart;
  bar?: HTMLProgressElement;
  curve?: StageState['curve'];
  last?: StageState;
}

interface FeatureCard {
  root: HTMLElement;
  canvas: HTMLCanvasElement;
  meta: HTMLElement;
  placeholder: HTMLElement;
  caption: HTMLElement;
  drawn?: LayerFeatures['picture'];
}

const featureCaptions = [
  'Hidden unit j as the input that excites it most, W1(j,:)/‖W1(j,:)‖, as a 28×28 image.',
  'Layer 2 has no pixels of its own: unit k is drawn as row k of W⁽²⁾·W⁽¹⁾, the linear combination of layer-1 features its weights make (the sigmoid between the layers left out), normalized to unit length.',
];

/** conv's autoencoder learns on patches: its features are what the convolution applies. */
const convFeatureCaption =
  'Hidden unit j as the patch that excites it most, W1(j,:)/‖W1(j,:)‖, learned on patches of the training digits: the convolution applies each one at every position of every digit, σ(W1(j,:)·x + b1(j)).';

export class ClassifyViews {
  private readonly el = {
    statusLine: $('status-line'),
    modelInfo: $('model-info'),
    modelError: $('model-error'),
    runError: $('run-error'),
    accuracies: $('accuracies'),
    accuracyMeta: $('accuracy-meta'),
    stages: $('stages'),
    features: $('features'),
    confusion: $('confusion'),
    confusionMeta: $('confusion-meta'),
    digitGrid: $('digit-grid'),
    digitsMeta: $('digits-meta'),
    padCard: $('pad-card'),
    padMeta: $('pad-meta'),
    padInput: $<HTMLCanvasElement>('pad-input'),
    padPredicted: $('pad-predicted'),
    padNote: $('pad-note'),
    padProbabilities: $('pad-probabilities'),
    padError: $('pad-error'),
    padFeaturesTitle: $('pad-features-title'),
    padFeatures: $('pad-features'),
    pooledCard: $('pooled-card'),
    pooledMeta: $('pooled-meta'),
    pooledCanvas: $<HTMLCanvasElement>('pooled-maps'),
    pooledCaption: $('pooled-caption'),
  };
  private stageCards: StageCard[] = [];
  private featureCards: FeatureCard[] = [];
  private last: ClassifyState | undefined;

  render(state: ClassifyState): void {
    const last = this.last;
    this.last = state;
    document.body.dataset.state = state.phase;
    if (state.status !== last?.status || state.counts !== last?.counts || state.device !== last?.device) this.renderStatus(state);
    if (state.modelFile !== last?.modelFile) {
      const file = state.modelFile;
      this.el.modelInfo.textContent = file?.kind === 'opening' ? `Opening ${file.name}…` : '';
      this.el.modelError.textContent = file?.kind === 'refused' ? modelRefusedText(file) : '';
      this.el.modelError.hidden = file?.kind !== 'refused';
    }
    if (state.error !== last?.error) {
      this.el.runError.textContent = state.error ?? '';
      this.el.runError.hidden = !state.error;
    }
    if (state.stages !== last?.stages) this.renderStages(state);
    if (state.features !== last?.features || state.stages !== last?.stages) this.renderFeatures(state);
    if (state.pooledMaps !== last?.pooledMaps || state.task !== last?.task || state.stages.length !== last?.stages.length) this.renderPooledMaps(state);
    if (state.accuracies !== last?.accuracies || state.task !== last?.task || state.numClasses !== last?.numClasses) this.renderAccuracies(state);
    if (state.confusion !== last?.confusion) this.renderConfusion(state);
    if (state.sample !== last?.sample) this.renderDigits(state.sample);
    if (state.classifier !== last?.classifier || state.phase !== last?.phase) this.renderPad(state);
    if (state.digit !== last?.digit || state.digitError !== last?.digitError) this.renderDigit(state);
  }

  /** The pad is offered once a classifier is trained, and goes with it when a new run starts. */
  private renderPad(state: ClassifyState): void {
    const el = this.el;
    el.padCard.hidden = !(state.phase === 'finished' && state.classifier);
    if (el.padCard.hidden) return;
    el.padMeta.textContent = padClassifierText(state);
    el.padFeaturesTitle.textContent = state.task === 'softmax' ? '' : state.task === 'conv' ? 'Convolution features whose pooled maps respond most' : 'First-layer features that respond most';
  }

  private renderDigit(state: ClassifyState): void {
    const el = this.el;
    const digit = state.digit;
    el.padError.hidden = !state.digitError;
    el.padError.textContent = state.digitError ? `The drawn digit could not be classified: ${state.digitError}` : '';
    const ctx = el.padInput.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, el.padInput.width, el.padInput.height);
    if (!digit) {
      el.padPredicted.textContent = '';
      el.padNote.textContent = 'Draw a digit on the pad: it is scaled and centred as MNIST’s digits were, then classified on the GPU.';
      el.padProbabilities.replaceChildren();
      el.padFeatures.replaceChildren(...(state.task === 'softmax' ? [h('p', { className: 'hint', text: noFeaturesText })] : []));
      return;
    }
    drawGray(el.padInput, digit.pixels, 28, (v) => 1 - v);
    el.padPredicted.textContent = String(digit.predicted);
    el.padPredicted.dataset.predicted = String(digit.predicted);
    el.padNote.textContent = `p = ${percent(digit.probabilities[digit.predicted])}; the 28×28 digit the classifier reads is on the left`;
    el.padProbabilities.replaceChildren(
      ...Array.from(digit.probabilities, (p, c) => {
        const item = h('li', { className: c === digit.predicted ? 'top' : '' }, h('span', { text: String(c) }), h('span', { className: 'bar' }), h('span', { className: 'value', text: percent(p) }));
        (item.children[1] as HTMLElement).style.width = `${(100 * p).toFixed(1)}%`;
        item.dataset.value = String(p);
        return item;
      }),
    );
    if (digit.pooled) {
      el.padFeatures.replaceChildren(...digit.pooled.map(pooledFigure));
      return;
    }
    if (!digit.features) {
      el.padFeatures.replaceChildren(h('p', { className: 'hint', text: noFeaturesText }));
      return;
    }
    el.padFeatures.replaceChildren(...digit.features.map(featureFigure));
  }

  private renderStatus(state: ClassifyState): void {
    const parts = [statusText(state.status)];
    if (state.device) parts.push(state.device);
    const c = state.counts;
    if (c) {
      parts.push(
        `${c.train.toLocaleString('en')} training digits, ${c.test.toLocaleString('en')} test digits` +
          (c.unlabeled !== undefined ? `, ${c.unlabeled.toLocaleString('en')} unlabeled` : ''),
      );
    }
    this.el.statusLine.replaceChildren();
    parts.forEach((text, i) => {
      if (i > 0) this.el.statusLine.append(h('span', { className: 'sep', text: '•' }));
      this.el.statusLine.append(text);
    });
  }

  // ---------------------------------------------------------------- stages

  private renderStages(state: ClassifyState): void {
    const names = state.stages.map((s) => s.name);
    if (names.length !== this.stageCards.length || names.some((n, i) => this.stageCards[i].name !== n)) {
      this.stageCards = state.stages.map((stage, index) => this.stageCard(stage, index));
      this.el.stages.replaceChildren(...this.stageCards.map((c) => c.root));
    }
    state.stages.forEach((stage, index) => this.updateStage(this.stageCards[index], stage));
  }

  private stageCard(stage: StageState, index: number): StageCard {
    const badge = h('span');
    const meta = h('span', { className: 'meta' });
    const canvas = h('canvas', { className: 'chart' });
    canvas.setAttribute('aria-label', `Cost of stage ${index + 1} over iterations`);
    const footer = h('footer');
    const header = h('header', {}, h('h3', { text: `${index + 1} · ${stage.name}` }), badge, meta);
    const root = h('article', { className: 'card stage-card' }, header);
    root.dataset.stage = String(index);
    root.dataset.kind = stage.kind;
    if (stage.kind === 'convolution') {
      // It trains nothing, so it has no cost to draw: the images convolved and pooled so far.
      const bar = h('progress', { className: 'conv-progress' });
      bar.setAttribute('aria-label', `Images convolved and pooled in stage ${index + 1}`);
      root.append(h('div', { className: 'conv-stage' }, bar, h('p', { className: 'hint', text: convStageHint })), footer);
      return { name: stage.name, root, badge, meta, footer, bar };
    }
    root.append(h('div', { className: 'chart-box stage-chart' }, canvas), footer);
    const chart = new LogLineChart(canvas, [{ name: 'J', color: kindColor[stage.kind], width: 2 }], {
      xLabel: 'iteration',
      empty: 'the cost appears here while this stage trains',
    });
    return { name: stage.name, root, badge, meta, footer, chart };
  }

  private updateStage(card: StageCard, stage: StageState): void {
    if (card.last === stage) return;
    card.last = stage;
    card.root.dataset.status = stage.status;
    const badge = statusBadge[stage.status];
    card.badge.className = `${badge.className} stage-status`;
    card.badge.textContent = badge.text;
    card.meta.textContent = stageMetaText(stage);
    if (card.bar) {
      card.bar.max = Math.max(1, stage.totalIterations);
      card.bar.value = stage.iteration;
      card.root.dataset.images = String(stage.iteration);
    }
    if (card.chart && stage.curve !== card.curve) {
      card.curve = stage.curve;
      card.chart.load({ x: stage.curve.x, y: [stage.curve.y] });
    }
    const r = stage.record;
    card.footer.replaceChildren();
    if (r) {
      card.footer.append(h('span', { text: stageRecordText(r) }));
      if (r.accuracy !== undefined) card.footer.append(h('strong', { className: 'stage-accuracy', text: `test accuracy ${percent(r.accuracy)}` }));
    }
  }

  // ---------------------------------------------------------------- features

  private renderFeatures(state: ClassifyState): void {
    const layers = state.stages.filter((s) => s.kind === 'autoencoder').length;
    if (layers !== this.featureCards.length) {
      this.featureCards = Array.from({ length: layers }, (_, layer) => this.featureCard(layer));
      this.el.features.replaceChildren(...this.featureCards.map((c) => c.root));
    }
    state.features.forEach((f, layer) => {
      const card = this.featureCards[layer];
      if (!f || !card || card.drawn === f.picture) return;
      card.drawn = f.picture;
      drawNetwork(card.canvas, f.picture, { scale: integerScale(f.picture.width, 440, 8) });
      card.placeholder.hidden = true;
      card.canvas.dataset.iteration = String(f.iteration);
      card.meta.textContent = `${f.hiddenSize} units · ${f.final ? 'final, ' : ''}iteration ${f.iteration}`;
    });
    this.featureCards.forEach((card, layer) => (card.caption.textContent = state.task === 'conv' ? convFeatureCaption : featureCaptions[Math.min(layer, 1)]));
  }

  /** conv: the card shows from the start (the convolution stage is part of the plan), the picture once the test digits are pooled. */
  private renderPooledMaps(state: ClassifyState): void {
    const el = this.el;
    // An opened conv model has no stages, only its maps.
    el.pooledCard.hidden = state.task !== 'conv' || (state.stages.length === 0 && !state.pooledMaps);
    const maps = state.pooledMaps;
    el.pooledCanvas.hidden = !maps;
    el.pooledMeta.textContent = maps ? pooledMapsMetaText(maps) : '';
    el.pooledCaption.textContent = maps ? pooledMapsCaption(maps) : 'The first test digits and their pooled feature maps appear here once the convolution stage has pooled the test digits.';
    if (!maps) return;
    // Four rows of a digit beside its maps are tall: the scale that keeps them within about a screen.
    const { width, height } = maps.picture;
    drawNetwork(el.pooledCanvas, maps.picture, { scale: Math.min(integerScale(width, 640, 4), integerScale(height, 900, 4)) });
  }

  private featureCard(layer: number): FeatureCard {
    const canvas = h('canvas');
    canvas.width = canvas.height = 1;
    canvas.id = `features-${layer + 1}`;
    canvas.setAttribute('aria-label', `Features of autoencoder layer ${layer + 1}`);
    const placeholder = h('p', { className: 'placeholder', text: 'The features appear here once this layer trains.' });
    const meta = h('span', { className: 'meta' });
    const caption = h('span', { className: 'caption', text: featureCaptions[Math.min(layer, 1)] });
    const root = h(
      'article',
      { className: 'card card-features' },
      h('header', {}, h('h3', { text: `Autoencoder layer ${layer + 1} features` }), meta),
      h('div', { className: 'canvas-box features-box' }, canvas, placeholder),
      h('footer', {}, caption),
    );
    root.dataset.layer = String(layer + 1);
    return { root, canvas, meta, placeholder, caption };
  }

  // ---------------------------------------------------------------- results

  private renderAccuracies(state: ClassifyState): void {
    const k = state.numClasses;
    this.el.accuracyMeta.textContent = k ? `chance ${percent(1 / k)} (${k} classes)` : '';
    const names = state.task ? accuracyNames(state.task) : [];
    const labels: Record<string, string> = {
      'raw pixels': 'softmax on raw pixels',
      'self-taught features': 'softmax on self-taught features',
      'before fine-tuning': 'stacked network before fine-tuning',
      'after fine-tuning': 'stacked network after fine-tuning',
      'pooled convolved features': 'softmax on the pooled convolved features',
    };
    this.el.accuracies.replaceChildren(
      ...names.map((name) => {
        const value = state.accuracies[name];
        const li = h('li', {}, h('span', { className: 'accuracy-name', text: labels[name] ?? name }), h('b', { className: 'accuracy-value', text: value === undefined ? '–' : percent(value) }));
        li.dataset.name = name;
        if (value !== undefined) li.dataset.value = String(value);
        return li;
      }),
    );
  }

  private renderConfusion(state: ClassifyState): void {
    const matrix = state.confusion;
    if (!matrix || matrix.length === 0) {
      this.el.confusionMeta.textContent = '';
      this.el.confusion.replaceChildren(h('p', { className: 'placeholder-text', text: 'The confusion matrix appears when the run finishes.' }));
      return;
    }
    const k = matrix.length;
    const total = matrix.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
    const correct = matrix.reduce((sum, row, i) => sum + row[i], 0);
    this.el.confusionMeta.textContent = `${correct.toLocaleString('en')} of ${total.toLocaleString('en')} right · rows: true digit, columns: predicted`;
    const table = h('table', { className: 'confusion' });
    const head = h('tr', {}, h('th', { className: 'corner', text: 'true \\ predicted' }));
    for (let j = 0; j < k; j++) head.append(h('th', { className: 'num', text: String(j) }));
    head.append(h('th', { className: 'num', text: 'right' }));
    table.append(h('thead', {}, head));
    const body = h('tbody');
    matrix.forEach((row, i) => {
      const rowTotal = row.reduce((a, b) => a + b, 0);
      const tr = h('tr', {}, h('th', { className: 'num', text: String(i) }));
      row.forEach((count, j) => {
        const td = h('td', { className: `num count${i === j ? ' diagonal' : ''}`, text: String(count) });
        // Shade by the share of the true class's examples: the diagonal in green, confusions in red.
        const share = rowTotal > 0 ? count / rowTotal : 0;
        const alpha = i === j ? 0.15 + 0.6 * share : Math.min(0.75, 3 * share);
        if (count > 0) td.style.background = i === j ? `rgba(31, 138, 76, ${alpha.toFixed(3)})` : `rgba(192, 57, 43, ${alpha.toFixed(3)})`;
        if (count > 0 && alpha > 0.5) td.classList.add('dark');
        td.title = `true ${i}, predicted ${j}: ${count} of ${rowTotal}`;
        tr.append(td);
      });
      tr.append(h('td', { className: 'num row-rate', text: rowTotal > 0 ? percent(row[i] / rowTotal) : '–' }));
      body.append(tr);
    });
    table.append(body);
    this.el.confusion.replaceChildren(table);
  }

  private renderDigits(sample: DigitSample | undefined): void {
    if (!sample) {
      this.el.digitsMeta.textContent = '';
      this.el.digitGrid.replaceChildren(h('p', { className: 'placeholder-text', text: 'The first 100 test digits appear here with their predictions when the run finishes.' }));
      return;
    }
    let wrong = 0;
    const figures: HTMLElement[] = [];
    const size = sample.side * sample.side;
    for (let k = 0; k < sample.count; k++) {
      const canvas = h('canvas');
      canvas.width = canvas.height = sample.side;
      const ctx = canvas.getContext('2d')!;
      const image = ctx.createImageData(sample.side, sample.side);
      for (let i = 0; i < size; i++) {
        // MNIST ink is 1: drawn dark on white.
        const g = Math.round((1 - Math.min(1, Math.max(0, sample.pixels[k * size + i]))) * 255);
        image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = g;
        image.data[4 * i + 3] = 255;
      }
      ctx.putImageData(image, 0, 0);
      const predicted = sample.predictions[k];
      const label = sample.labels[k];
      const mistake = predicted !== label;
      if (mistake) wrong++;
      const caption = h('figcaption', {}, h('b', { className: 'predicted', text: String(predicted) }));
      if (mistake) caption.append(h('span', { className: 'true-label', text: `true ${label}` }));
      const figure = h('figure', { className: mistake ? 'digit wrong' : 'digit' }, canvas, caption);
      figure.dataset.predicted = String(predicted);
      figure.dataset.label = String(label);
      figure.title = mistake ? `predicted ${predicted}, true ${label}` : `predicted ${predicted} (right)`;
      figures.push(figure);
    }
    this.el.digitsMeta.textContent = `first ${sample.count} test digits · ${wrong} wrong (red)`;
    this.el.digitGrid.replaceChildren(...figures);
  }
}

/** The first part of the status line. */
export function statusText(status: Status): string {
  switch (status.kind) {
    case 'idle':
      return 'Choose a task and start.';
    case 'starting':
      return 'Starting…';
    case 'stopping':
      return 'Stopping…';
    case 'message':
      return status.text;
    case 'training':
      return 'Training';
    case 'finished':
      return `Finished in ${status.seconds.toFixed(1)} s`;
    case 'opened': {
      const reported = Object.entries(status.reported).map(([name, a]) => `${name} ${percent(a)}`);
      return `Opened ${status.name}, scored on the test digits below${reported.length ? ` (the run that wrote it reported ${reported.join(', ')})` : ''}`;
    }
    case 'stopped':
      return `Stopped after ${status.seconds.toFixed(1)} s`;
    case 'failed':
      return status.during === 'data' ? 'The digits could not be loaded' : status.during === 'webgpu' ? 'WebGPU could not be set up' : 'The run failed';
  }
}

// ------------------------------------------------------------------ the link and the form

const fieldLabels: Record<NumberField, string> = {
  digits: 'digits used',
  hiddenSize: 'hidden units',
  seed: 'seed',
  autoencoderIterations: 'autoencoder iterations',
  softmaxIterations: 'softmax iterations',
  finetuneIterations: 'fine-tuning iterations',
  patches: 'patches',
  poolDim: 'pooling region side',
};

/** Why a number field's text cannot be used. */
export function fieldRangeText(field: NumberField, text: string): string {
  const { min, max } = numberFields[field];
  return `${fieldLabels[field]} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}, got “${text}”`;
}

/** What the link got wrong, field by field; the marked fields hold their defaults instead. */
export function linkProblemsText(problems: readonly LinkProblem[]): string {
  const items = problems.map((p) => (p.field === 'task' ? `task “${p.value}” is not one of ${taskNames.join(', ')}` : fieldRangeText(p.field, p.value)));
  const plural = problems.length > 1;
  return `This link had ${plural ? 'values' : 'a value'} that cannot be used; the default${plural ? 's are' : ' is'} in ${plural ? 'their places' : 'its place'}, marked: ${items.join('; ')}.`;
}

/** Why a model.json was not opened, and that nothing changed. */
export function modelRefusedText(file: { name: string; message: string }): string {
  const why = file.message.startsWith(`${file.name}: `) ? file.message.slice(file.name.length + 2) : file.message;
  return `${file.name} could not be opened: ${why}. The page is as it was.`;
}

/** After Copy link: where the link is. */
export function copyLinkText(copied: boolean): string {
  return copied ? 'Link copied: it opens this page with these settings.' : 'The browser did not allow copying: the address bar holds the same link.';
}

// ------------------------------------------------------------------ the drawing pad

const noFeaturesText = 'Softmax regression reads the raw pixels: it has no features to show.';

/** Which classifier reads the drawn digits. */
export function padClassifierText(state: Pick<ClassifyState, 'task' | 'classifier' | 'pooledMaps'>): string {
  const shape = state.classifier?.shape;
  if (!shape) return '';
  const sizes = [shape.inputSize, ...shape.hiddenSizes, shape.numClasses].join('-');
  if (state.task === 'conv') {
    const maps = state.pooledMaps;
    const convolved = maps ? `convolved with the ${maps.features} features, mean-pooled by ${maps.poolDim} (${maps.pooledDim}×${maps.pooledDim} per feature)` : 'convolved and pooled';
    return `read as the test digits were: ${convolved}, then the softmax on the pooled features, ${sizes}, on the GPU`;
  }
  const which = state.task === 'stacked' ? 'the fine-tuned stacked network' : state.task === 'stl' ? 'the softmax on raw pixels (digits 0–4)' : 'the softmax on raw pixels';
  return `read by ${which}, ${sizes}, on the GPU`;
}

// ------------------------------------------------------------------ conv

const convStageHint = 'Every feature at every position of every digit (σ of the im2col matmul), mean-pooled, in batches on the GPU: training digits first, then test digits.';

/** A stage card's line beside its badge: iterations and cost, or the convolution's images. */
export function stageMetaText(stage: Pick<StageState, 'status' | 'iteration' | 'totalIterations' | 'cost' | 'elapsedSeconds' | 'unit'>): string {
  if (stage.unit === 'images') {
    return stage.status === 'waiting'
      ? `${stage.totalIterations.toLocaleString('en')} images (training and test)`
      : `images ${stage.iteration.toLocaleString('en')} / ${stage.totalIterations.toLocaleString('en')} · ${seconds(stage.elapsedSeconds)}`;
  }
  return stage.status === 'waiting'
    ? `${stage.totalIterations} iterations`
    : `iteration ${stage.iteration} / ${stage.totalIterations} · J ${Number.isFinite(stage.cost) ? formatNumber(stage.cost, 4) : '–'} · ${seconds(stage.elapsedSeconds)}`;
}

/** A finished stage's figures, under its card. */
export function stageRecordText(r: NonNullable<StageState['record']>): string {
  if (r.kind === 'convolution') {
    const rate = r.seconds > 0 ? `, ${formatNumber(r.iterations / r.seconds, 3)} images/s` : '';
    return `${r.iterations.toLocaleString('en')} images in ${seconds(r.seconds)}${rate}; ${r.exitReason}`;
  }
  return `${r.iterations} iterations, ${r.evaluations} evaluations; J ${formatNumber(r.initialCost, 4)} → ${formatNumber(r.finalCost, 4)}; ${r.exitReason}`;
}

export function pooledMapsMetaText(maps: PooledMaps): string {
  return `first ${maps.digits} test digits · ${maps.features} maps of ${maps.pooledDim}×${maps.pooledDim} each`;
}

export function pooledMapsCaption(maps: PooledMaps): string {
  const values = maps.features * maps.pooledDim * maps.pooledDim;
  return (
    `Each row: a test digit, then its ${maps.features} feature maps mean-pooled over regions of ${maps.poolDim}×${maps.poolDim} ` +
    `(${values.toLocaleString('en')} values per digit, what the softmax reads), unit j's map at place j of the grid; ` +
    'one gray scale for all rows, black low, white high.'
  );
}

/** A values-in-[0, 1] picture (after `tone`) drawn gray on a side × side canvas. */
function drawGray(canvas: HTMLCanvasElement, values: ArrayLike<number>, side: number, tone: (v: number) => number): void {
  canvas.width = canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const g = Math.round(Math.min(1, Math.max(0, tone(values[i]))) * 255);
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = g;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** +0.12 or −0.12: a rise or a fall. */
const signed = (value: number, digits: number) => `${value < 0 ? '−' : '+'}${Math.abs(value).toFixed(digits)}`;

/** conv: a feature beside its pooled map for the drawn digit. */
function pooledFigure(feature: PooledFeature): HTMLElement {
  const weights = h('canvas');
  drawGray(weights, feature.weights, feature.patchDim, (v) => (v + 1) / 2);
  const map = h('canvas', { className: 'pooled-map' });
  // σ means: white where the feature responds fully.
  drawGray(map, feature.map, feature.pooledDim, (v) => v);
  const figure = h('figure', { className: 'pad-feature pad-pooled' }, h('div', { className: 'pair' }, weights, map), h('figcaption', { text: `unit ${feature.unit + 1} · ${signed(feature.strength, 2)}` }));
  figure.title = `unit ${feature.unit + 1}: its weights, and its pooled map for the drawn digit; its strongest cell is ${feature.strength.toFixed(3)} above its response to blank paper`;
  figure.dataset.unit = String(feature.unit);
  return figure;
}

function featureFigure(feature: DigitFeature): HTMLElement {
  const canvas = h('canvas');
  // Weights in [−1, 1] as gray around the middle, as display_network draws them.
  drawGray(canvas, feature.picture, 28, (v) => (v + 1) / 2);
  const figure = h('figure', { className: 'pad-feature' }, canvas, h('figcaption', { text: `unit ${feature.unit + 1} · ${feature.activation.toFixed(2)}` }));
  figure.dataset.unit = String(feature.unit);
  return figure;
}
