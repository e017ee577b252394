// Sort any Zoo table by a column: click its heading, or focus it (Tab) and press Enter
// or Space. A cell holding an element with data-sort sorts by that key (the value in base
// units, so 2039 GB/s sorts below 3.35 TB/s); other cells by their number, then text.
// Empty cells ("—") stay last in both directions.
document$.subscribe(function () {
  function key(cell) {
    var marked = cell.querySelector("[data-sort]");
    var text = marked ? marked.getAttribute("data-sort") : cell.textContent.trim().replace(/,/g, "");
    if (text === "" || text === "\u2014") return null;
    var number = parseFloat(text);
    return isNaN(number) ? text.toLowerCase() : number;
  }
  function compare(x, y) {
    if (typeof x === "number" && typeof y === "number") return x - y;
    return String(x).localeCompare(String(y));
  }
  document.querySelectorAll("article table").forEach(function (table) {
    if (table.dataset.sortable) return;
    var labels = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    if (!labels.some(Boolean)) return;  // a key/value table without headings: nothing to sort by
    table.dataset.sortable = "yes";
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (header, column) {
      header.tabIndex = 0;
      header.setAttribute("aria-sort", "none");
      header.title = "Sort by this column (Enter)";
      function sort() {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = key(a.cells[column]), y = key(b.cells[column]);
          if (x === null || y === null) return (x === null) - (y === null);
          return ascending ? compare(x, y) : compare(y, x);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      header.addEventListener("click", sort);
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  });
});
