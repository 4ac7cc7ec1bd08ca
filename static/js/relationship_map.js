// Stakeholder relationship map: an org chart drawn with the vendored cytoscape from the JSON
// served at the container's data-url (accounts/relationship_map.py builds it).
//
// Markup (templates/accounts/partials/relationship_map.html):
//   <section class="relationship-map">
//     <div data-relationship-map data-url="…" data-stakeholder-url="/…/{id}/edit/"
//          data-empty-text="…" data-error-text="…" role="img" aria-label="…"></div>
//     <ul data-relationship-map-legend><li data-stance="advocate">… <span data-count></span></li>…
//   </section>
//
// No inline scripts are needed: maps are drawn on DOMContentLoaded and after every htmx swap.
(function () {
  "use strict";

  // The tab can be swapped in several times; each swap re-runs this file. Install once.
  if (window.kamRelationshipMap) {
    window.kamRelationshipMap.init(document);
    return;
  }

  // Fallbacks only: the colours live in relationship_map.css (--rm-<stance>), which the
  // legend swatches use too.
  const STANCE_COLOURS = {
    advocate: "#146c43",
    supporter: "#75b798",
    neutral: "#adb5bd",
    sceptic: "#fd7e14",
    opponent: "#dc3545",
  };
  const MIN_ZOOM = 0.3;
  const MAX_ZOOM = 3;
  const FONT_SIZE = 14; // px at zoom 1
  const MIN_LABEL_PX = 12; // labels are never drawn smaller than this unless the reader zooms out
  const READABLE_ZOOM = MIN_LABEL_PX / FONT_SIZE;
  const ZOOM_STEP = 1.25;
  const instances = new WeakMap(); // container element → cytoscape instance

  function clampInfluence(value) {
    const n = Number(value);
    if (!Number.isFinite(n)) return 3;
    return Math.min(5, Math.max(1, Math.round(n)));
  }

  function nodeSize(influence) {
    return 30 + clampInfluence(influence) * 10;
  }

  function stanceColour(el, stance) {
    const fromCss = getComputedStyle(el).getPropertyValue("--rm-" + stance).trim();
    return fromCss || STANCE_COLOURS[stance] || STANCE_COLOURS.neutral;
  }

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (_error) {
      return false;
    }
  }

  function label(node) {
    const second = [node.title, node.role_label].filter(Boolean).join(" · ");
    return second ? node.name + "\n" + second : node.name;
  }

  // Cytoscape adds a <style> to <head> unless an element with this id exists. A CSP without
  // 'unsafe-inline' for styles would block it; relationship_map.css already gives the
  // container the only rule it carries (position: relative), so mark it as present.
  function preventStyleInjection() {
    const id = "__________cytoscape_stylesheet";
    if (document.getElementById(id)) return;
    const marker = document.createElement("meta");
    marker.id = id;
    document.head.appendChild(marker);
  }

  // Replace the container's content with a message (empty map or load error). The element
  // stops being an image so screen readers read the text instead of the aria-label.
  function showMessage(el, text, modifier) {
    el.replaceChildren();
    const p = document.createElement("p");
    p.className = "relationship-map__message mb-0";
    p.textContent = text || "";
    el.appendChild(p);
    el.classList.add("relationship-map__canvas--" + modifier);
    el.removeAttribute("role");
    el.removeAttribute("aria-label");
  }

  function legendFor(el) {
    const root = el.closest(".relationship-map") || el.parentElement;
    return root ? root.querySelector("[data-relationship-map-legend]") : null;
  }

  function fillLegend(el, nodes) {
    const legend = legendFor(el);
    if (!legend) return;
    const counts = {};
    nodes.forEach((node) => {
      counts[node.stance] = (counts[node.stance] || 0) + 1;
    });
    legend.querySelectorAll("[data-stance]").forEach((item) => {
      const stance = item.getAttribute("data-stance");
      const count = item.querySelector("[data-count]");
      if (count) count.textContent = "(" + (counts[stance] || 0) + ")";
    });
  }

  function stylesheet(el) {
    return [
      {
        selector: "node",
        style: {
          width: (n) => nodeSize(n.data("influence")),
          height: (n) => nodeSize(n.data("influence")),
          "background-color": (n) => stanceColour(el, n.data("stance")),
          "border-width": 1,
          "border-color": "#495057",
          label: "data(label)",
          "text-valign": "bottom",
          "text-halign": "center",
          "text-margin-y": 6,
          "text-wrap": "wrap",
          "text-max-width": "150px",
          "font-size": FONT_SIZE,
          "line-height": 1.3,
          color: "#212529",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": "2px",
          "text-background-shape": "roundrectangle",
        },
      },
      {
        selector: "node.primary",
        style: { "border-width": 5, "border-color": "#212529" },
      },
      {
        // Faded fill and dashed border; the label stays readable (grey, not transparent).
        selector: "node.left",
        style: {
          "background-opacity": 0.4,
          "border-style": "dashed",
          "border-width": 2,
          "border-color": "#495057",
          color: "#495057",
        },
      },
      {
        selector: "node.primary.left",
        style: { "border-width": 5, "border-color": "#212529" },
      },
      {
        selector: "edge",
        style: {
          width: 1.5,
          "line-color": "#868e96",
          "target-arrow-color": "#868e96",
          "target-arrow-shape": "triangle",
          "arrow-scale": 1,
          "curve-style": "taxi",
          "taxi-direction": "vertical",
        },
      },
      {
        selector: "edge.left",
        style: { opacity: 0.45, "line-style": "dashed" },
      },
      {
        selector: "node.chosen",
        style: { "border-width": 4, "border-color": "#0d6efd", "border-style": "double" },
      },
      {
        selector: "node:active",
        style: { "overlay-opacity": 0.1 },
      },
    ];
  }

  function elements(data) {
    const nodes = data.nodes.map((node) => ({
      group: "nodes",
      data: {
        id: node.id,
        pk: String(node.id).replace(/^s/, ""),
        label: label(node),
        stance: node.stance,
        influence: clampInfluence(node.influence),
      },
      classes: [node.primary ? "primary" : "", node.left ? "left" : ""].filter(Boolean),
    }));
    const left = new Set(data.nodes.filter((n) => n.left).map((n) => n.id));
    const ids = new Set(data.nodes.map((n) => n.id));
    const edges = data.edges
      .filter((edge) => ids.has(edge.source) && ids.has(edge.target))
      .map((edge) => ({
        group: "edges",
        data: { id: edge.source + "-" + edge.target, source: edge.source, target: edge.target },
        classes: left.has(edge.source) || left.has(edge.target) ? ["left"] : [],
      }));
    return nodes.concat(edges);
  }

  function runLayout(cy) {
    const roots = cy.nodes().roots(); // nobody (in this account) above them
    const options = {
      name: "breadthfirst",
      directed: true,
      fit: true,
      padding: 24,
      spacingFactor: 1.1,
      avoidOverlap: true,
      nodeDimensionsIncludeLabels: true,
      animate: false,
    };
    if (roots.nonempty()) options.roots = roots; // a reporting cycle has none: let it choose
    cy.layout(options).run();
    keepLabelsReadable(cy);
  }

  // Fitting a large org chart would shrink the labels below 12 px: zoom in to readable size
  // instead, with the top of the chart in view (where the roots are); the reader pans from there.
  function keepLabelsReadable(cy) {
    if (cy.zoom() >= READABLE_ZOOM) return;
    cy.zoom(READABLE_ZOOM);
    const top = cy.nodes().roots().nonempty() ? cy.nodes().roots() : cy.nodes();
    const box = top.renderedBoundingBox();
    cy.panBy({ x: cy.width() / 2 - (box.x1 + box.x2) / 2, y: 24 - box.y1 });
  }

  function zoomBy(cy, factor) {
    const level = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, cy.zoom() * factor));
    cy.zoom({ level: level, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
  }

  function showZoom(el, cy) {
    const percent = String(Math.round(cy.zoom() * 100));
    el.setAttribute("data-zoom", cy.zoom().toFixed(3));
    const root = el.closest(".relationship-map");
    const out = root && root.querySelector("[data-map-zoom]");
    if (out) out.textContent = (el.getAttribute("data-zoom-text") || "Zoom") + ": " + percent + "%";
  }

  // Full screen through the Fullscreen API; where it is missing (or refused) the section
  // covers the window instead (a CSS class), and Escape or the button brings it back.
  function toggleFullscreen(el, cy, button) {
    const root = el.closest(".relationship-map");
    const expanded = document.fullscreenElement === root || root.classList.contains("relationship-map--expanded");
    const fallback = (on) => {
      root.classList.toggle("relationship-map--expanded", on);
      button.setAttribute("aria-pressed", String(on));
      cy.resize();
      cy.fit(undefined, 24);
      keepLabelsReadable(cy);
    };
    if (expanded) {
      if (document.fullscreenElement === root) document.exitFullscreen();
      else fallback(false);
      return;
    }
    if (root.requestFullscreen) {
      root.requestFullscreen().catch(() => fallback(true));
    } else {
      fallback(true);
    }
  }

  function bindControls(el, cy) {
    const root = el.closest(".relationship-map");
    if (!root) return;
    const fullscreenButton = root.querySelector('[data-map-action="fullscreen"]');
    root.querySelectorAll("[data-map-action]").forEach((button) => {
      button.addEventListener("click", () => {
        const action = button.getAttribute("data-map-action");
        if (action === "zoom-in") zoomBy(cy, ZOOM_STEP);
        else if (action === "zoom-out") zoomBy(cy, 1 / ZOOM_STEP);
        else if (action === "fit") cy.fit(undefined, 24);
        else if (action === "fullscreen") toggleFullscreen(el, cy, button);
      });
    });
    document.addEventListener("fullscreenchange", () => {
      if (cy.destroyed() || !fullscreenButton) return;
      fullscreenButton.setAttribute("aria-pressed", String(document.fullscreenElement === root));
      cy.resize();
      cy.fit(undefined, 24);
      keepLabelsReadable(cy);
    });
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && root.classList.contains("relationship-map--expanded")) {
        toggleFullscreen(el, cy, fullscreenButton);
      }
    });
    cy.on("zoom", () => showZoom(el, cy));
    showZoom(el, cy);
  }

  // The side panel: the person's last interactions (an htmx fragment from data-panel-url).
  function openPanel(el, cy, pk) {
    const pattern = el.getAttribute("data-panel-url");
    const root = el.closest(".relationship-map");
    const panel = root && root.querySelector("[data-stakeholder-panel]");
    if (!pattern || !panel || !window.htmx) return;
    const url = pattern.replace("{id}", encodeURIComponent(pk));
    if (!sameOrigin(url)) return;
    cy.nodes().removeClass("chosen");
    cy.getElementById("s" + pk).addClass("chosen");
    root.querySelectorAll("[data-person]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-person") === String(pk)));
    });
    window.htmx.ajax("GET", url, { target: panel, swap: "innerHTML" }).then(() => {
      const heading = panel.querySelector("#stakeholder-panel-heading");
      if (heading) heading.focus();
    });
  }

  // Everyone on the map as a button too: the keyboard (Tab, Enter) and screen readers reach
  // each person, and the text says what the colour and size say.
  function fillPeople(el, cy, nodes) {
    const root = el.closest(".relationship-map");
    const list = root && root.querySelector("[data-relationship-map-people]");
    if (!list) return;
    list.replaceChildren();
    nodes.forEach((node) => {
      const pk = String(node.id).replace(/^s/, "");
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm btn-outline-secondary relationship-map__person";
      button.setAttribute("data-person", pk);
      button.setAttribute("aria-pressed", "false");
      const swatch = document.createElement("span");
      swatch.className = "relationship-map__swatch relationship-map__swatch--" + node.stance;
      swatch.setAttribute("aria-hidden", "true");
      button.append(swatch, " " + node.name + " · " + node.stance_label + " · " + node.influence + "/5");
      button.addEventListener("click", () => openPanel(el, cy, pk));
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  // A click on a person opens the side panel; with Ctrl/⌘ their edit page in a new tab.
  function bindNavigation(el, cy) {
    const pattern = el.getAttribute("data-stakeholder-url");
    const container = cy.container();
    cy.on("tap", "node", (event) => {
      const pk = event.target.data("pk");
      const original = event.originalEvent || {};
      if (pattern && (original.ctrlKey || original.metaKey)) {
        const url = pattern.replace("{id}", encodeURIComponent(pk));
        if (sameOrigin(url)) window.open(url, "_blank", "noopener");
        return;
      }
      openPanel(el, cy, pk);
    });
    cy.on("mouseover", "node", () => {
      container.style.cursor = "pointer";
    });
    cy.on("mouseout", "node", () => {
      container.style.cursor = "";
    });
  }

  // Drawn while hidden (e.g. an inactive tab) the container has no size; redo the fit once
  // it gets one, and follow later resizes.
  function followResizes(el, cy) {
    if (typeof ResizeObserver !== "function") return;
    let hadSize = el.clientWidth > 0 && el.clientHeight > 0;
    const observer = new ResizeObserver(() => {
      if (cy.destroyed()) {
        observer.disconnect();
        return;
      }
      const hasSize = el.clientWidth > 0 && el.clientHeight > 0;
      cy.resize();
      if (hasSize && !hadSize) runLayout(cy);
      hadSize = hasSize;
    });
    observer.observe(el);
    cy.one("destroy", () => observer.disconnect());
  }

  function draw(el, data) {
    if (!data || !Array.isArray(data.nodes) || data.nodes.length === 0) {
      showMessage(el, el.getAttribute("data-empty-text"), "empty");
      fillLegend(el, []);
      return;
    }
    preventStyleInjection();
    const cy = window.cytoscape({
      container: el,
      elements: elements({ nodes: data.nodes, edges: data.edges || [] }),
      style: stylesheet(el),
      minZoom: MIN_ZOOM,
      maxZoom: MAX_ZOOM,
      boxSelectionEnabled: false,
      autounselectify: true,
    });
    instances.set(el, cy);
    runLayout(cy);
    bindNavigation(el, cy);
    bindControls(el, cy);
    followResizes(el, cy);
    fillLegend(el, data.nodes);
    fillPeople(el, cy, data.nodes);
  }

  // With htmx the two script tags are inserted dynamically, where `defer` does not apply and
  // the order of execution is not guaranteed: wait a little for cytoscape if needed.
  function whenCytoscapeReady(callback, attempt) {
    if (typeof window.cytoscape === "function") {
      callback();
    } else if ((attempt || 0) < 200) {
      window.setTimeout(() => whenCytoscapeReady(callback, (attempt || 0) + 1), 50);
    } else {
      callback(new Error("cytoscape did not load"));
    }
  }

  function load(el) {
    if (el.hasAttribute("data-relationship-map-state")) return; // already drawn or loading
    el.setAttribute("data-relationship-map-state", "loading");
    el.setAttribute("aria-busy", "true");
    const url = el.getAttribute("data-url");
    const fail = (error) => {
      if (window.console) console.error("relationship map:", error);
      el.setAttribute("data-relationship-map-state", "error");
      el.removeAttribute("aria-busy");
      showMessage(el, el.getAttribute("data-error-text"), "error");
    };
    if (!url || !sameOrigin(url)) {
      fail(new Error("missing or cross-origin data-url"));
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then((data) => {
        whenCytoscapeReady((error) => {
          if (error) {
            fail(error);
            return;
          }
          if (!el.isConnected) return; // swapped out meanwhile
          draw(el, data);
          el.setAttribute("data-relationship-map-state", "drawn");
          el.removeAttribute("aria-busy");
        });
      })
      .catch(fail);
  }

  function init(root) {
    const scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-relationship-map]")) load(scope);
    scope.querySelectorAll("[data-relationship-map]").forEach(load);
  }

  // Free the cytoscape instance (and its window listeners) when htmx removes the map; htmx
  // fires this event for every removed element, descendants included.
  function cleanup(event) {
    const el = event.target;
    if (!el || !el.matches || !el.matches("[data-relationship-map]")) return;
    const cy = instances.get(el);
    if (cy && !cy.destroyed()) cy.destroy();
    instances.delete(el);
  }

  window.kamRelationshipMap = { init: init };

  document.addEventListener("htmx:afterSettle", () => init(document));
  document.addEventListener("htmx:beforeCleanupElement", cleanup);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => init(document));
  } else {
    init(document); // loaded by an htmx swap, after DOMContentLoaded
  }
})();
