// Downloads for the page's exports: text files, and charts as standalone SVG or PNG. The SVG
// is a copy of the chart with the page's computed styles written onto each element, so it
// looks the same outside the page.

const STYLES = ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'opacity',
  'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline'];

export function downloadText(name, mime, text) {
  save(name, new Blob([text], { type: mime }));
}

function save(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function standalone(svg) {
  const copy = svg.cloneNode(true);
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [copy, ...copy.querySelectorAll('*')];
  from.forEach((el, i) => {
    const style = getComputedStyle(el);
    const decl = STYLES.map((p) => `${p}:${style.getPropertyValue(p)}`).join(';');
    to[i].setAttribute('style', decl);
  });
  const box = svg.getBoundingClientRect();
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(Math.round(box.width)));
  copy.setAttribute('height', String(Math.round(box.height)));
  return { text: new XMLSerializer().serializeToString(copy), width: box.width, height: box.height };
}

// Returns an error message, or an empty string when the download started.
export function downloadChart(selector, name, png) {
  const svg = document.querySelector(selector);
  if (!svg) return 'the chart is not drawn';
  const { text, width, height } = standalone(svg);
  if (!png) {
    save(`${name}.svg`, new Blob([text], { type: 'image/svg+xml' }));
    return '';
  }
  const image = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  image.onload = () => {
    const scale = 2;
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext('2d');
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    URL.revokeObjectURL(url);
    canvas.toBlob((blob) => { if (blob) save(`${name}.png`, blob); }, 'image/png');
  };
  image.src = url;
  return '';
}
