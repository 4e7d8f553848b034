/**
 * The trainer's settings form: a TrainConfig into the form's fields and back, which fields
 * show, and which preset button is lit. The form ↔ link codec is ./link.ts.
 */
import { presets, type OptimizerName, type TrainConfig } from '../../train/config';
import { numberFields, type DataChoice } from './link';

export { dataChoiceOf, matchingPreset, type DataChoice } from './link';

function input(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

export function writeForm(config: TrainConfig, data: DataChoice): void {
  for (const [field] of numberFields) input(field).value = String(config[field]);
  (document.getElementById('optimizer') as HTMLSelectElement).value = config.optimizer;
  (document.getElementById('output') as HTMLSelectElement).value = config.output ?? 'sigmoid';
  input('normalize').checked = config.normalize === true;
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="data"]')) radio.checked = radio.value === data;
  updateFieldVisibility();
  markPreset(config.preset);
}

export function dataChoice(): DataChoice {
  return (document.querySelector<HTMLInputElement>('input[name="data"]:checked')?.value as DataChoice) ?? 'natural';
}

/** The form as a config; `dataName` is what config.data says for the user's files. */
export function readForm(preset: TrainConfig['preset'], dataName: string | undefined): TrainConfig {
  const choice = dataChoice();
  const config = { ...presets['ufldl-natural'], preset } as TrainConfig;
  for (const [field] of numberFields) {
    const raw = input(field).value.trim();
    config[field] = raw === '' ? NaN : Number(raw);
  }
  config.optimizer = (document.getElementById('optimizer') as HTMLSelectElement).value as OptimizerName;
  if ((document.getElementById('output') as HTMLSelectElement).value === 'linear') config.output = 'linear';
  config.data = choice === 'file' ? (dataName ?? '') : choice;
  if (choice === 'file' && input('normalize').checked) config.normalize = true;
  return config;
}

/** Shows the optimizer's own fields only, and the patch fields only for image data. */
export function updateFieldVisibility(): void {
  const optimizer = (document.getElementById('optimizer') as HTMLSelectElement).value;
  for (const label of document.querySelectorAll<HTMLElement>('[data-optimizers]')) {
    label.hidden = !label.dataset.optimizers!.split(' ').includes(optimizer);
  }
  // Rescaling is for the user's ready-made data; images are always normalized.
  document.getElementById('normalize-field')!.hidden = dataChoice() !== 'file';
  const mnist = dataChoice() === 'mnist';
  for (const label of document.querySelectorAll<HTMLElement>('[data-images]')) {
    const field = label.querySelector('input')!;
    field.disabled = mnist;
    label.title = mnist ? 'MNIST trains on the 28×28 digits themselves: no patches are cut' : '';
  }
}

/** Highlights the preset button the settings match. */
export function markPreset(preset: TrainConfig['preset']): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('.preset')) {
    button.setAttribute('aria-pressed', String(button.dataset.preset === preset));
  }
}
