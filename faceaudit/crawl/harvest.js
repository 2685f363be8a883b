// Runs in the page (page.evaluate) when BrowserSession.harvest reads it: every place a logged-out
// visitor (or a scraper) finds an image URL. Kept a single function expression with nothing after
// it: harvest.py calls it with the most images to report (a page that grows for ever must not
// grow the answer) and turns the result into a PageHarvest.
(maxImages) => {
  const abs = (u) => { try { return new URL(u.trim(), document.baseURI).href } catch (e) { return "" } };
  const share = [], page = [], known = [];
  let truncated = false;
  const note = (u) => { const a = u ? abs(u) : ""; if (a && known.length < 4 * maxImages) known.push(a); return a; };
  // Where an image sits, for platform adapters to tell a profile picture from a cover, a post or
  // someone else's picture: test ids, Facebook's perf-log name, the nearest aria-label, the
  // nearest link, the classes of the element and its two parents, and the time of the post
  // (article) it is in. Short "key=value" words; values have no spaces.
  const cut = (v, n) => String(v || "").trim().replace(/\s+/g, "_").slice(0, n);
  const context = (el) => {
    if (!el || !el.closest) return "";
    const words = []; let label = "", link = "";
    for (let e = el, depth = 0; e && e.getAttribute && depth < 12; e = e.parentElement, depth++) {
      const id = e.getAttribute("data-testid"), perf = e.getAttribute("data-imgperflogname");
      if (id && words.length < 8) words.push("testid=" + cut(id, 60));
      if (perf) words.push("perf=" + cut(perf, 60));
      if (!label && e.getAttribute("aria-label")) label = e.getAttribute("aria-label");
      if (!link && e.tagName === "A" && e.getAttribute("href")) link = abs(e.getAttribute("href"));
      const cls = e.getAttribute("class");
      if (cls && depth < 3) words.push("class=" + cut(cls, 80));
    }
    if (label) words.push("label=" + cut(label, 80));
    if (link) words.push("href=" + cut(link, 200));
    const post = el.closest("article, [role=article]");
    const time = post && post.querySelector("time[datetime]");
    if (time) words.push("time=" + cut(time.getAttribute("datetime"), 40));
    return words.join(" ").slice(0, 600);
  };
  const add = (list, u, by, alt, el) => {
    if (share.length + page.length >= maxImages) { truncated = true; return; }
    const a = note(u); if (a) list.push([a, by, alt || "", context(el)]);
  };
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
    // data-delayed-url: LinkedIn's lazy images.
    const dataSrc = img.getAttribute("data-src") || img.getAttribute("data-lazy-src")
      || img.getAttribute("data-delayed-url") || "";
    note(img.currentSrc); note(img.getAttribute("src")); note(dataSrc);
    const realSrc = (u) => u && !/^data:/i.test(u);
    if (srcset) add(page, srcset[0], "img:srcset", alt, img);
    else if (dataSrcset) add(page, dataSrcset[0], "img:data-srcset", alt, img);
    else if (dataSrc) add(page, dataSrc, "img:data-src", alt, img);
    else if (realSrc(img.currentSrc)) add(page, img.currentSrc, "img", alt, img);
    else if (realSrc(img.getAttribute("src"))) add(page, img.getAttribute("src"), "img", alt, img);
  });
  // <svg><image href>: Facebook draws profile pictures this way.
  document.querySelectorAll("svg image").forEach((image) => {
    const href = image.getAttribute("href") || image.getAttribute("xlink:href");
    if (href && !/^data:/i.test(href)) add(page, href, "svg:image", "", image);
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
      if (best && (!formatOnly || !imgShows)) add(page, best[0], "picture:source", alt, source);
    });
  });
  document.querySelectorAll("video[poster]").forEach((v) => add(page, v.getAttribute("poster"), "video:poster", "", v));

  const all = document.querySelectorAll("*");
  for (let n = 0; n < all.length && n < 20000; n++) {
    for (const pseudo of [null, "::before", "::after"]) {
      const bg = getComputedStyle(all[n], pseudo).backgroundImage;
      if (!bg || bg === "none") continue;
      for (const m of bg.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/g)) add(page, m[2], "css:background", "", all[n]);
    }
  }
  const robots = Array.from(document.querySelectorAll("meta[name]"))
    .filter((m) => m.getAttribute("name").toLowerCase() === "robots")
    .map((m) => m.getAttribute("content") || "").join(", ");
  return {
    share, page, known, robots, truncated,
    jsonld: Array.from(document.querySelectorAll('script[type="application/ld+json"]')).map((s) => s.textContent),
    title: document.title, base: document.baseURI,
    // Where the page's links lead, for the website adapter to visit the site's other pages
    // (harvest.py keeps those in the account); capped like the images.
    links: Array.from(document.querySelectorAll("a[href], area[href]")).slice(0, maxImages)
      .map((a) => abs(a.getAttribute("href"))).filter((u) => u),
    // The page's visible words, for platform notices ("This content isn't available"); read in
    // memory by the adapter, never stored.
    text: (document.body ? document.body.innerText : "").replace(/\s+/g, " ").slice(0, 4000),
    login_prompt: Array.from(document.querySelectorAll('[role=dialog], [aria-modal=true], dialog[open]'))
      .some((d) => d.getClientRects().length > 0 && d.querySelector(
        'input[type=password], a[href*="/login"], a[href*="/i/flow/login"], a[href*="/signin"]')),
    password: Array.from(document.querySelectorAll("input[type=password]")).some((e) => e.getClientRects().length > 0),
  };
}
