/**
 * Files dropped anywhere on a page: the whole page accepts a drop and `zone` lights up while
 * files are dragged over it (class `dragging`). `onDrop` gets the files.
 */
export function acceptFileDrops(zone: HTMLElement, onDrop: (files: FileList) => void): void {
  let depth = 0;
  document.addEventListener('dragenter', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    depth++;
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('dragging');
  });
  document.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (event) => {
    if (!event.dataTransfer?.files.length) return;
    event.preventDefault();
    depth = 0;
    zone.classList.remove('dragging');
    onDrop(event.dataTransfer.files);
  });
}
