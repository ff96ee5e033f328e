"use client";
// Status filter (a radio group, so arrow keys move between options) and the search box.
import { useId } from "react";
import type { StatusFilter } from "@/lib/types";
import styles from "./todos.module.css";
import ui from "./ui.module.css";

const OPTIONS: { value: StatusFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "active", label: "Active" },
  { value: "done", label: "Done" },
];

interface Props {
  status: StatusFilter;
  onStatus: (s: StatusFilter) => void;
  search: string;
  onSearch: (q: string) => void;
}

export function TodoFilters({ status, onStatus, search, onSearch }: Props) {
  const id = useId();
  return (
    <div className={styles.toolbar}>
      <fieldset className={styles.segmented}>
        <legend className="sr-only">Show</legend>
        {OPTIONS.map((o) => (
          <label key={o.value}>
            <input
              type="radio"
              name={`${id}-status`}
              value={o.value}
              checked={status === o.value}
              onChange={() => onStatus(o.value)}
            />
            {o.label}
          </label>
        ))}
      </fieldset>
      <div className={styles.search}>
        <label htmlFor={`${id}-search`} className="sr-only">
          Search todos
        </label>
        <input
          id={`${id}-search`}
          type="search"
          className={ui.input}
          placeholder="Search…"
          value={search}
          onChange={(e) => onSearch(e.target.value)}
        />
      </div>
    </div>
  );
}
