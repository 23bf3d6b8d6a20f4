// What the page exposes for its browser tests and the benchmark (read-only use).
interface EpChartState {
  /** uPlot's data: [x (epoch s), ...series]. */
  data: (number | null | undefined)[][];
  labels: string[];
  resolution: 'raw' | 'hourly' | 'daily';
  from: number;
  to: number;
  tz: string;
  /** Increments each time the chart finished drawing new data. */
  draws: number;
}

interface Window {
  __ep: { ready: boolean; chart?: EpChartState; features?: unknown };
}
