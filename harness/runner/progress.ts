/**
 * Progress output on stderr: a live updating line with a spinner in a TTY, plain timestamped lines in CI
 * (no TTY, or CI set). stdout stays free for --json.
 */
export interface Progress {
  stepStart(path: readonly string[]): void;
  stepEnd(path: readonly string[], status: 'passed' | 'failed' | 'error' | 'interrupted', ms: number, error?: string): void;
  log(path: readonly string[], message: string): void;
  check(name: string, ok: boolean, ms: number, summary?: string): void;
  info(message: string): void;
  close(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** force live (TTY) or plain mode; default: live iff the stream is a TTY and CI is unset */
  live?: boolean;
  quiet?: boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

const clock = (): string => new Date().toISOString().slice(11, 19);

export function createProgress(opts: ProgressOptions = {}): Progress {
  const out = opts.stream ?? process.stderr;
  const live = opts.live ?? (!!out.isTTY && !process.env.CI);
  if (opts.quiet) {
    return { stepStart() {}, stepEnd() {}, log() {}, check() {}, info() {}, close() {} };
  }
  const active = new Map<string, { path: readonly string[]; started: number }>();
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;

  const indent = (path: readonly string[]): string => '  '.repeat(Math.max(0, path.length - 1));
  const clear = (): void => {
    if (live && drawn) {
      out.write('\r\x1b[2K');
      drawn = false;
    }
  };
  const draw = (): void => {
    if (!live) return;
    const last = [...active.values()].pop();
    if (!last) {
      clear();
      return;
    }
    const cols = out.columns || 100;
    let line = `${FRAMES[frame % FRAMES.length]} ${last.path.join(' › ')} ${formatMs(Date.now() - last.started)}`;
    if (line.length > cols - 1) line = `${line.slice(0, cols - 2)}…`;
    out.write(`\r\x1b[2K${line}`);
    drawn = true;
  };
  const println = (line: string): void => {
    clear();
    out.write(`${line}\n`);
    draw();
  };
  if (live) {
    timer = setInterval(() => {
      frame++;
      draw();
    }, 100);
    timer.unref();
  }
  const prefix = (): string => (live ? '' : `[${clock()}] `);
  return {
    stepStart(path) {
      active.set(path.join('\u0000'), { path, started: Date.now() });
      if (!live) println(`${prefix()}${indent(path)}▶ ${path[path.length - 1]}`);
      else draw();
    },
    stepEnd(path, status, ms, error) {
      active.delete(path.join('\u0000'));
      const mark = status === 'passed' ? '✔' : status === 'interrupted' ? '⊘' : '✖';
      println(
        `${prefix()}${indent(path)}${mark} ${path[path.length - 1]} (${formatMs(ms)})${status !== 'passed' && error ? `: ${error}` : ''}`,
      );
    },
    log(path, message) {
      println(`${prefix()}${indent(path)}  ${message}`);
    },
    check(name, ok, ms, summary) {
      println(`${prefix()}  ${ok ? '✔' : '✖'} check ${name} (${formatMs(ms)})${summary ? `: ${summary}` : ''}`);
    },
    info(message) {
      println(`${prefix()}${message}`);
    },
    close() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}
