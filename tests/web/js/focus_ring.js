// The focused element's outline as drawn, and its lowest contrast (WCAG 2 formula) with what lies just
// outside the element, where the outline is: the colour of the topmost element at a point beyond each
// side, at the outline's offset plus half its width (so a skip link shown over the header is measured
// against the header, not against the body it belongs to).
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const parse = (colour) => {
    const m = colour.match(/[\d.]+/g).map(Number);
    return { r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  });
  // An element's background as seen: its own and its ancestors' colours, stacked up to an opaque one.
  const background = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c.a > 0) layers.push(c);
      if (c.a >= 1) break;
    }
    return layers.reduceRight((under, top) => over(top, under), { r: 255, g: 255, b: 255, a: 1 });
  };
  const luminance = (c) => {
    const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (x, y) => {
    const [light, dark] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (light + 0.05) / (dark + 0.05);
  };
  const width = parseFloat(style.outlineWidth) || 0;
  const away = (parseFloat(style.outlineOffset) || 0) + width / 2;
  const box = el.getBoundingClientRect();
  const mx = box.left + box.width / 2;
  const my = box.top + box.height / 2;
  const points = [[box.left - away, my], [box.right + away, my], [mx, box.top - away], [mx, box.bottom + away]];
  const ring = parse(style.outlineColor);
  const contrasts = [];
  for (const [x, y] of points) {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    const under = document.elementsFromPoint(x, y).find((n) => n !== el && !el.contains(n));
    if (under) contrasts.push(ratio(over(ring, background(under)), background(under)));
  }
  const text = (el.innerText || el.value || "").trim().slice(0, 30);
  return {
    element: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text}"`,
    place: (el.closest("header, main, footer") || el).tagName.toLowerCase(),
    style: style.outlineStyle,
    width,
    colour: style.outlineColor,
    contrast: contrasts.length ? Math.min(...contrasts) : null,
  };
}
