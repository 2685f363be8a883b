// Runs in the page (page.evaluate) when BrowserSession.harvest reads it: every place a logged-out
// visitor (or a scraper) finds an image URL. Kept a single function expression with nothing after
// it, because page.evaluate calls what the text evaluates to; harvest.py turns the result into a
// PageHarvest.
() => {
  const abs = (u) => { try { return new URL(u.trim(), document.baseURI).href } catch (e) { return "" } };
  const share = [], page = [], known = [];
  const note = (u) => { const a = u ? abs(u) : ""; if (a) known.push(a); return a; };
  const add = (list, u, by, alt) => { const a = note(u); if (a) list.push([a, by, alt || ""]); };
  const attr = (sel, name, by) => document.querySelectorAll(sel).forEach(
    (e) => add(share, e.getAttribute(name), by));
  attr('meta[property="og:image"], meta[property="og:image:url"], meta[property="og:image:secure_url"]',
       "content", "og:image");
  attr('meta[name="twitter:image"], meta[name="twitter:image:src"], meta[property="twitter:image"]',
       "content", "twitter:image");
  attr('link[rel~="image_src"]', "href", "link:image_src");

  const parseSrcset = (text) => {  // [[url, size]]; size is the w or x descriptor
    const out = []; let i = 0; const s = text || "";
    while (i < s.length) {
      while (i < s.length && /[\s,]/.test(s[i])) i++;
      let start = i; while (i < s.length && !/\s/.test(s[i])) i++;
      let url = s.slice(start, i), desc = "";
      if (!url) break;
      if (/,$/.test(url)) url = url.replace(/,+$/, "");
      else { start = i; while (i < s.length && s[i] !== ",") i++; desc = s.slice(start, i).trim(); }
      const m = desc.match(/(\d+(?:\.\d+)?)\s*([wx])/i);
      out.push([url, m ? parseFloat(m[1]) : 1]);
    }
    out.forEach(([u]) => note(u));
    return out;
  };
  const largest = (cands) => cands.reduce((best, c) => (!best || c[1] >= best[1] ? c : best), null);

  document.querySelectorAll("img").forEach((img) => {
    const alt = img.getAttribute("alt") || "";
    const srcset = largest(parseSrcset(img.getAttribute("srcset")));
    const dataSrcset = largest(parseSrcset(img.getAttribute("data-srcset")));
    const dataSrc = img.getAttribute("data-src") || img.getAttribute("data-lazy-src") || "";
    note(img.currentSrc); note(img.getAttribute("src")); note(dataSrc);
    const realSrc = (u) => u && !/^data:/i.test(u);
    if (srcset) add(page, srcset[0], "img:srcset", alt);
    else if (dataSrcset) add(page, dataSrcset[0], "img:data-srcset", alt);
    else if (dataSrc) add(page, dataSrc, "img:data-src", alt);
    else if (realSrc(img.currentSrc)) add(page, img.currentSrc, "img", alt);
    else if (realSrc(img.getAttribute("src"))) add(page, img.getAttribute("src"), "img", alt);
  });
  document.querySelectorAll("picture").forEach((pic) => {
    const img = pic.querySelector("img");
    const alt = img ? img.getAttribute("alt") || "" : "";
    const imgShows = img && (img.getAttribute("src") || img.getAttribute("srcset") || img.getAttribute("data-src"));
    pic.querySelectorAll("source").forEach((source) => {
      const best = largest(parseSrcset(source.getAttribute("srcset") || source.getAttribute("data-srcset")));
      // A source with only a `type` is the same picture in another format: skip it when the
      // <img> already gave a URL. A `media` source is another crop (art direction): keep it.
      const formatOnly = source.hasAttribute("type") && !source.hasAttribute("media");
      if (best && (!formatOnly || !imgShows)) add(page, best[0], "picture:source", alt);
    });
  });
  document.querySelectorAll("video[poster]").forEach((v) => add(page, v.getAttribute("poster"), "video:poster"));

  const all = document.querySelectorAll("*");
  for (let n = 0; n < all.length && n < 20000; n++) {
    for (const pseudo of [null, "::before", "::after"]) {
      const bg = getComputedStyle(all[n], pseudo).backgroundImage;
      if (!bg || bg === "none") continue;
      for (const m of bg.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/g)) add(page, m[2], "css:background");
    }
  }
  const robots = Array.from(document.querySelectorAll("meta[name]"))
    .filter((m) => m.getAttribute("name").toLowerCase() === "robots")
    .map((m) => m.getAttribute("content") || "").join(", ");
  return {
    share, page, known, robots,
    jsonld: Array.from(document.querySelectorAll('script[type="application/ld+json"]')).map((s) => s.textContent),
    title: document.title, base: document.baseURI,
    password: Array.from(document.querySelectorAll("input[type=password]")).some((e) => e.getClientRects().length > 0),
  };
}
