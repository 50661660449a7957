/** What the helpers need of a tap Test: a place to register clean-up (tap runs them last in, first out). */
export interface Teardown {
  teardown(fn: () => unknown): void;
}
