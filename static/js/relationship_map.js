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
  const MAX_ZOOM = 2;
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
          "font-size": 11,
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
  }

  function bindNavigation(el, cy) {
    const pattern = el.getAttribute("data-stakeholder-url");
    if (!pattern) return;
    const container = cy.container();
    cy.on("tap", "node", (event) => {
      const url = pattern.replace("{id}", encodeURIComponent(event.target.data("pk")));
      if (!sameOrigin(url)) return;
      const original = event.originalEvent || {};
      if (original.ctrlKey || original.metaKey) {
        window.open(url, "_blank", "noopener");
      } else {
        window.location.assign(url);
      }
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
    followResizes(el, cy);
    fillLegend(el, data.nodes);
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
