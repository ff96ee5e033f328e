import ui from "./ui.module.css";

/** A small decorative spinner; the surrounding text says what is loading. */
export function Spinner() {
  return <span className={ui.spinner} aria-hidden="true" />;
}
