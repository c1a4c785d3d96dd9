// Tables: rows from data with formatted cells; sortable headers (click: ascending, again: descending).

/**
 * columns: [{key, label, numeric, value(row) -> sortable raw value, cell(row) -> text or Node, title}]
 * The sort state survives re-renders (new data for another range keeps the chosen order).
 */
export function sortableTable(table, columns, rowKey) {
  const state = { key: null, direction: "ascending", rows: [] };
  const headRow = table.tHead.rows[0];
  headRow.replaceChildren(...columns.map((column) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.dataset.key = column.key;
    th.setAttribute("aria-sort", "none");
    if (column.numeric) th.classList.add("num");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort-button";
    if (column.title) button.title = column.title;
    const indicator = document.createElement("span");
    indicator.className = "sort-indicator";
    indicator.setAttribute("aria-hidden", "true");
    button.append(column.label, indicator);
    button.addEventListener("click", () => {
      const again = state.key === column.key && state.direction === "ascending";
      state.key = column.key;
      state.direction = again ? "descending" : "ascending";
      render();
    });
    th.append(button);
    return th;
  }));

  function compare(column, a, b) {
    const x = column.value(a);
    const y = column.value(b);
    const xMissing = x === null || x === undefined || Number.isNaN(x);
    const yMissing = y === null || y === undefined || Number.isNaN(y);
    if (xMissing || yMissing) return xMissing - yMissing; // missing values last, either way
    const order = column.numeric ? x - y : String(x).localeCompare(String(y), "en", { sensitivity: "base" });
    return state.direction === "ascending" ? order : -order;
  }

  function render() {
    const column = columns.find((c) => c.key === state.key);
    const rows = column ? [...state.rows].sort((a, b) => compare(column, a, b)) : state.rows;
    for (const th of headRow.cells) {
      const active = th.dataset.key === state.key;
      th.setAttribute("aria-sort", active ? state.direction : "none");
      th.querySelector(".sort-indicator").textContent = active ? (state.direction === "ascending" ? "▲" : "▼") : "";
    }
    table.tBodies[0].replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      tr.dataset.key = rowKey(row) ?? "";
      for (const c of columns) {
        const td = document.createElement("td");
        if (c.numeric) td.className = "num";
        const raw = c.value(row);
        if (raw !== null && raw !== undefined) td.dataset.value = String(raw);
        const content = c.cell(row);
        td.append(content ?? "—");
        tr.append(td);
      }
      return tr;
    }));
  }

  return {
    setRows(rows) {
      state.rows = rows;
      render();
    },
  };
}

/** A <td>, numeric ones right-aligned. */
export function cell(content, { numeric = false, className = "" } = {}) {
  const td = document.createElement("td");
  td.className = [numeric ? "num" : "", className].filter(Boolean).join(" ");
  td.append(content ?? "—");
  return td;
}

export function pill(text, kind) {
  const span = document.createElement("span");
  span.className = `pill pill-${kind}`;
  span.textContent = text;
  return span;
}
