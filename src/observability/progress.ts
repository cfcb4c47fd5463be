/**
 * Progress for long CLI work (CSV import, list enrollment): a cli-progress bar on a terminal, and plain
 * periodic lines when stdout is a pipe or a CI log, where a redrawn bar would be noise.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Adds `n` (default 1) done items. */
  increment(n?: number): void;
  /** Raises the total when it becomes known late (paged CRM lists). */
  setTotal(total: number): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Where to write; process.stdout by default. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Force bar (true) or plain lines (false); by default a bar only on a TTY. */
  tty?: boolean;
  /** Plain mode: print a line every this many percent (default 10). */
  everyPercent?: number;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stdout;
  const tty = options.tty ?? Boolean(stream.isTTY);
  return tty ? barProgress(options, stream) : lineProgress(options, stream);
}

function barProgress(options: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      stream: stream as NodeJS.WriteStream,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total, 0);
  return {
    increment: (n = 1) => bar.increment(n),
    setTotal: (total) => bar.setTotal(total),
    stop: () => bar.stop(),
  };
}

function lineProgress(options: ProgressOptions, stream: NodeJS.WritableStream): Progress {
  const step = options.everyPercent ?? 10;
  let total = options.total;
  let done = 0;
  let lastPrintedStep = -1;
  let stopped = false;
  const print = () => {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    stream.write(`${options.label}: ${done}/${total} (${pct}%)\n`);
  };
  const maybePrint = () => {
    const pct = total > 0 ? (done / total) * 100 : 100;
    const currentStep = Math.floor(pct / step);
    if (currentStep > lastPrintedStep) {
      lastPrintedStep = currentStep;
      print();
    }
  };
  return {
    increment(n = 1) {
      done += n;
      maybePrint();
    },
    setTotal(next) {
      total = next;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // The last line always shows the final count, even if it fell between two steps.
      if (lastPrintedStep < Math.floor(100 / step) || done !== total) print();
    },
  };
}
