// Filter a long Zoo table (the sources, the status lists, a group's comparison): a search
// box above any table of more than FILTER_MIN_ROWS rows keeps the rows whose text holds
// every word typed ("datasheet 2026-11", "H100 verified"), and says how many are shown.
document$.subscribe(function () {
  var FILTER_MIN_ROWS = 15;
  document.querySelectorAll("article table").forEach(function (table, index) {
    var body = table.tBodies[0];
    if (!body || table.dataset.filterable || body.rows.length <= FILTER_MIN_ROWS) return;
    table.dataset.filterable = "yes";
    var box = document.createElement("div");
    box.className = "zoo-filter";
    var input = document.createElement("input");
    input.type = "search";
    input.id = "zoo-filter-" + index;
    input.placeholder = "Filter rows";
    input.setAttribute("aria-label", "Filter this table's rows by the words typed");
    var count = document.createElement("span");
    count.className = "zoo-filter-count";
    count.setAttribute("aria-live", "polite");
    box.appendChild(input);
    box.appendChild(count);
    var wrap = table.closest(".md-typeset__scrollwrap") || table;
    wrap.parentNode.insertBefore(box, wrap);
    var rows = Array.prototype.slice.call(body.rows);
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) shown += 1;
      });
      count.textContent = words.length ? shown + " of " + rows.length + " rows" : rows.length + " rows";
    }
    input.addEventListener("input", apply);
    apply();
  });
});
