// What reaches past the right edge of the screen outside a box of its own that scrolls sideways,
// the outermost such element only (its children stick out because it does); and the document's width.
() => {
  const width = window.innerWidth;
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const inScrollBox = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (scrolls(a) && a.getBoundingClientRect().right <= width + 1) return true;
    }
    return false;
  };
  const sticksOut = (el) => el.getBoundingClientRect().right > width + 1 && !inScrollBox(el);
  const name = (el) =>
    el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.getBoundingClientRect().width === 0 || !sticksOut(el)) continue;
    if (el.parentElement !== document.body && sticksOut(el.parentElement)) continue;
    wide.push(`${name(el)} reaches ${Math.round(el.getBoundingClientRect().right)} px`);
  }
  return { scrollWidth: document.documentElement.scrollWidth, width, wide };
}
