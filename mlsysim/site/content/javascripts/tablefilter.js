// Filter a long Zoo table (the sources, the status lists, a group's comparison): a search
// box above any table of more than FILTER_MIN_ROWS rows keeps the rows whose text holds
// every word typed ("datasheet 2026-11", "H100 verified"), and says how many are shown.
// A column whose heading is marked <span class="facet">Name</span> also gets a drop-down
// of its distinct values (the status page: Status). With data-facet="Namespace" and
// data-facet-split="." the drop-down offers the cells' first dotted part instead (a Zoo
// path's namespace). A link to an element with data-facet / data-facet-value
// (status/#unverified) opens the table with that value chosen.
document$.subscribe(function () {
  var FILTER_MIN_ROWS = 15;
  document.querySelectorAll("article table").forEach(function (table, index) {
    var body = table.tBodies[0];
    var headings = Array.prototype.slice.call(table.tHead ? table.tHead.rows[0].cells : []);
    var facets = headings.map(function (th, column) {
      var mark = th.querySelector(".facet");
      return mark ? {column: column, name: mark.dataset.facet || mark.textContent.trim(),
                     split: mark.dataset.facetSplit || ""} : null;
    }).filter(Boolean);
    if (!body || table.dataset.filterable) return;
    if (!facets.length && body.rows.length <= FILTER_MIN_ROWS) return;
    table.dataset.filterable = "yes";
    var box = document.createElement("div");
    box.className = "zoo-filter";
    var input = document.createElement("input");
    input.type = "search";
    input.id = "zoo-filter-" + index;
    input.placeholder = "Filter rows";
    input.setAttribute("aria-label", "Filter this table's rows by the words typed");
    box.appendChild(input);
    var rows = Array.prototype.slice.call(body.rows);
    function cellText(row, column, split) {
      var text = (row.cells[column] ? row.cells[column].textContent : "").trim();
      return split ? text.split(split)[0] : text;
    }
    var selects = facets.map(function (facet) {
      var select = document.createElement("select");
      select.id = "zoo-facet-" + index + "-" + facet.column;
      select.setAttribute("aria-label", "Show only rows of one " + facet.name);
      select.dataset.facet = facet.name;
      var all = document.createElement("option");
      all.value = "";
      all.textContent = "Every " + facet.name.toLowerCase();
      select.appendChild(all);
      var values = {};
      rows.forEach(function (row) { values[cellText(row, facet.column, facet.split)] = true; });
      Object.keys(values).sort().forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        select.appendChild(option);
      });
      box.appendChild(select);
      return {select: select, column: facet.column, split: facet.split};
    });
    var count = document.createElement("span");
    count.className = "zoo-filter-count";
    count.setAttribute("aria-live", "polite");
    box.appendChild(count);
    var wrap = table.closest(".md-typeset__scrollwrap") || table;
    wrap.parentNode.insertBefore(box, wrap);
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var chosen = selects.filter(function (s) { return s.select.value; });
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; }) &&
          chosen.every(function (s) { return cellText(row, s.column, s.split) === s.select.value; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = (words.length || chosen.length) ? shown + " of " + rows.length + " rows"
                                                           : rows.length + " rows";
    }
    function fromHash() {
      var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
      if (!target || !target.dataset.facet) return;
      selects.forEach(function (s) {
        if (s.select.dataset.facet === target.dataset.facet) s.select.value = target.dataset.facetValue;
      });
      apply();
    }
    input.addEventListener("input", apply);
    selects.forEach(function (s) { s.select.addEventListener("change", apply); });
    window.addEventListener("hashchange", fromHash);
    apply();
    fromHash();
  });
});
