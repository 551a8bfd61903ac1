/**
 * The cost of no-server mode on the WordPress host: one poll of the plugin's events route (nothing new → 304,
 * nothing new without an ETag → 200, new events → 200 with events) next to a full page load, on a real WordPress
 * (Debian's, MariaDB) served by nginx and ONE PHP-FPM worker (`pm = static`, `pm.max_children = 1`), in the same
 * run:
 * - PHP time and database queries per request, read inside PHP by a must-use probe (`timer_stop()` and
 *   `$wpdb->num_queries` at the end of the request; the route's own queries counted apart), plus nginx's
 *   `$upstream_response_time`, over sequential requests;
 * - requests per second that one worker serves, with `wrk` (4 connections: the worker is never idle).
 *
 *   node --import tsx bench/wordpress/poll.ts [--requests 200] [--seconds 10] [--out file.json]
 *
 * Needs Debian's wordpress, mariadb-server, php-fpm (php8.2-fpm), nginx and wrk. Everything started here listens
 * on 127.0.0.1 and is stopped (and its files deleted) at the end. JSON goes to bench/results/wordpress-<time>.json.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import { freePort } from '../../e2e/wordpress/lib/wordpress.js';
import { machineInfo } from '../lib/machine.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const ENV_DIR = join(ROOT, 'e2e/wordpress/env');

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
const REQUESTS = option('requests', 200);
const SECONDS = option('seconds', 10);
const outIndex = process.argv.indexOf('--out');
const OUT =
  outIndex >= 0
    ? resolve(process.argv[outIndex + 1] ?? '')
    : join(ROOT, 'bench/results', `wordpress-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);

function findBinary(names: string[]): string {
  for (const name of names) {
    for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin']) {
      if (existsSync(join(dir, name))) return join(dir, name);
    }
  }
  throw new Error(`none of ${names.join(', ')} is installed (apt-get install php8.2-fpm nginx wrk)`);
}

/** The probe: PHP time and queries of each request, as response headers (REST) or a trailing comment (pages). */
const PROBE = `<?php
$GLOBALS['pressrelay_bench_route_queries'] = 0;
add_filter( 'query', static function ( $sql ) {
	if ( false !== strpos( $sql, 'pressrelay_' ) ) { $GLOBALS['pressrelay_bench_route_queries']++; }
	return $sql;
} );
add_filter( 'rest_post_dispatch', static function ( $response ) {
	global $wpdb;
	$response->header( 'X-Bench-Ms', (string) round( timer_stop( 0, 6 ) * 1000, 3 ) );
	$response->header( 'X-Bench-Queries', (string) $wpdb->num_queries );
	$response->header( 'X-Bench-Route-Queries', (string) $GLOBALS['pressrelay_bench_route_queries'] );
	return $response;
}, PHP_INT_MAX );
add_action( 'shutdown', static function () {
	global $wpdb;
	if ( 'cli' === PHP_SAPI || defined( 'REST_REQUEST' ) || wp_doing_ajax() || wp_doing_cron() ) { return; }
	printf( '<!-- bench ms=%s queries=%d route=%d -->', round( timer_stop( 0, 6 ) * 1000, 3 ), $wpdb->num_queries, $GLOBALS['pressrelay_bench_route_queries'] );
}, PHP_INT_MAX );
`;

interface Sample {
  phpMs: number;
  queries: number;
  routeQueries: number;
  status: number;
}

interface Row {
  name: string;
  description: string;
  status: number;
  phpMsMedian: number;
  phpMsP90: number;
  upstreamMsMedian: number;
  queries: number;
  routeQueries: number;
  bytes: number;
  rps: number;
  wrkLatencyMs: number;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function mode(values: number[]): number {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? Number.NaN;
}

async function sample(
  url: string,
  headers: Record<string, string>,
): Promise<{ sample: Sample; bytes: number }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000), redirect: 'manual' });
  const body = await response.text();
  let phpMs = Number(response.headers.get('x-bench-ms'));
  let queries = Number(response.headers.get('x-bench-queries'));
  let routeQueries = Number(response.headers.get('x-bench-route-queries'));
  const comment = /<!-- bench ms=([\d.]+) queries=(\d+) route=(\d+) -->/.exec(body);
  if (comment) {
    phpMs = Number(comment[1]);
    queries = Number(comment[2]);
    routeQueries = Number(comment[3]);
  }
  if (!Number.isFinite(phpMs)) throw new Error(`no probe in the answer of ${url} (HTTP ${response.status})`);
  return {
    sample: { phpMs, queries, routeQueries, status: response.status },
    bytes: Buffer.byteLength(body),
  };
}

async function main(): Promise<void> {
  const fpm = findBinary(['php-fpm8.2', 'php-fpm']);
  const nginx = findBinary(['nginx']);
  const wrk = findBinary(['wrk']);
  const tmp = mkdtempSync(join(tmpdir(), 'pressrelay-bench-wp-'));
  // nginx's and PHP-FPM's workers (nobody, www-data) reach the FastCGI socket in here.
  chmodSync(tmp, 0o755);
  const processes: ChildProcess[] = [];
  let stateFile: string | null = null;
  const cleanup = async () => {
    for (const child of processes) {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((done) => setTimeout(done, 5000))]);
      }
    }
    if (stateFile) await run('php', [join(ENV_DIR, 'cli.php'), 'down', stateFile], { timeout: 60_000 });
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    // The plugin as released (with the browser client), and a WordPress served by nginx on WP_HOME's port.
    const zip = join(tmp, 'pressrelay.zip');
    execFileSync(process.execPath, [join(ROOT, 'packages/wordpress/build-zip.mjs'), '--out', zip], {
      stdio: 'pipe',
    });
    for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zip)))) {
      const target = join(tmp, 'plugins', name);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
    const probe = join(tmp, 'pressrelay-bench-probe.php');
    writeFileSync(probe, PROBE);
    const port = await freePort();
    const up = await run(
      'php',
      [
        join(ENV_DIR, 'cli.php'),
        'up',
        JSON.stringify({
          plugin_dir: join(tmp, 'plugins/pressrelay'),
          plugin_mode: 'copy',
          constants: { DISABLE_WP_CRON: true, WP_DEBUG: false },
          mu_plugins: [probe],
          port,
        }),
      ],
      { timeout: 180_000, maxBuffer: 10 * 1024 * 1024 },
    );
    const lines = up.stdout.trim().split('\n');
    const state = JSON.parse(lines[lines.length - 1] ?? '{}') as {
      root: string;
      wp_dir: string;
      url: string;
    };
    stateFile = join(state.root, 'state.json');
    const wp = async (code: string) =>
      (await run('php', [join(ENV_DIR, 'wp-eval.php'), state.wp_dir, code], { timeout: 60_000 })).stdout;

    // Content: a page with three live values, 50 posts, and a log with history on the polled channels.
    const ids = JSON.parse(
      await wp(`
        update_option( 'pressrelay_settings', array( 'triggers' => array( 'posts' => true, 'meta' => true ), 'meta_keys' => array( 'seats_left' ) ) );
        for ( $i = 1; $i <= 50; $i++ ) { wp_insert_post( array( 'post_title' => "Post $i", 'post_content' => str_repeat( "Paragraph $i. ", 40 ), 'post_status' => 'publish' ) ); }
        $concert = wp_insert_post( array( 'post_title' => 'Concert', 'post_status' => 'publish' ) );
        update_post_meta( $concert, 'seats_left', '12' );
        $page = wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Live board', 'post_content' => '<p>Latest: [pressrelay latest="title"]</p><p>Seats: [pressrelay meta="seats_left" post_id="' . $concert . '"]</p><p>[pressrelay channel="scores" event="goal" field="home"]0[/pressrelay]</p>' ) );
        for ( $i = 1; $i <= 200; $i++ ) { pressrelay_publish( 'scores', 'goal', array( 'home' => $i ) ); }
        update_option( 'show_on_front', 'page' );
        update_option( 'page_on_front', $page );
        echo wp_json_encode( array( 'page' => $page, 'concert' => $concert, 'epoch' => PressRelay\\Outbox\\Log::epoch() ) );`),
    ) as { page: number; concert: number; epoch: string };

    // One PHP-FPM worker, and nginx in front of it.
    const socket = join(tmp, 'fpm.sock');
    const fpmConf = join(tmp, 'php-fpm.conf');
    writeFileSync(
      fpmConf,
      `[global]\nerror_log = ${tmp}/fpm.log\ndaemonize = no\n[bench]\nuser = www-data\ngroup = www-data\nlisten = ${socket}\nlisten.mode = 0666\npm = static\npm.max_children = 1\npm.max_requests = 0\nclear_env = no\n`,
    );
    processes.push(spawn(fpm, ['--nodaemonize', '--fpm-config', fpmConf], { stdio: 'ignore' }));
    const nginxConf = join(tmp, 'nginx.conf');
    const accessLog = join(tmp, 'access.log');
    writeFileSync(
      nginxConf,
      `worker_processes 1;
error_log ${tmp}/nginx-error.log;
pid ${tmp}/nginx.pid;
events { worker_connections 256; }
http {
  access_log off;
  log_format bench '$request_uri $status $upstream_response_time';
  client_body_temp_path ${tmp}/nginx-body; fastcgi_temp_path ${tmp}/nginx-fastcgi;
  proxy_temp_path ${tmp}/nginx-proxy; uwsgi_temp_path ${tmp}/nginx-uwsgi; scgi_temp_path ${tmp}/nginx-scgi;
  server {
    listen 127.0.0.1:${port};
    root ${state.wp_dir};
    index index.php;
    access_log ${accessLog} bench;
    location / { try_files $uri $uri/ /index.php?$args; }
    location ~ \\.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_param HTTP_HOST $http_host;
      fastcgi_pass unix:${socket};
    }
  }
}
`,
    );
    // The site's files must be readable by the worker's user.
    execFileSync('chmod', ['-R', 'a+rX', state.root]);
    processes.push(spawn(nginx, ['-c', nginxConf, '-g', 'daemon off;'], { stdio: 'ignore' }));
    const base = state.url;
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const response = await fetch(`${base}/wp-login.php`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`nginx + php-fpm did not answer on ${base}`);
      await new Promise((done) => setTimeout(done, 100));
    }

    const rest = (query: string) => `${base}/?rest_route=/pressrelay/v1/events&${query}`;
    const channels = (positions: [string, number | null][]) =>
      positions
        .map(
          ([name, serial]) =>
            `c%5B%5D=${encodeURIComponent(serial === null ? name : `${name}:${ids.epoch}:${serial}`)}`,
        )
        .join('&');
    // Each channel's head: a poll from there finds nothing new.
    const polled = ['posts', `post-${ids.concert}`, 'scores'];
    const heads = (
      (await (await fetch(rest(channels(polled.map((name) => [name, null] as [string, null]))))).json()) as {
        channels: Record<string, { position: string }>;
      }
    ).channels;
    const headOf = (name: string) => Number(heads[name]?.position.split(':')[1]);
    const idle = rest(channels(polled.map((name) => [name, headOf(name)] as [string, number])));
    const idleAnswer = await fetch(idle);
    await idleAnswer.arrayBuffer();
    const etag = idleAnswer.headers.get('etag') ?? '';
    const busy = rest(
      channels(polled.map((name) => [name, headOf(name) - (name === 'scores' ? 10 : 0)] as [string, number])),
    );

    const cases: Array<{ name: string; description: string; url: string; headers: Record<string, string> }> =
      [
        {
          name: 'poll: nothing new (304)',
          description: '3 channels, If-None-Match = current ETag',
          url: idle,
          headers: { 'If-None-Match': etag },
        },
        {
          name: 'poll: nothing new (200)',
          description: '3 channels, no ETag: empty events, current positions',
          url: idle,
          headers: {},
        },
        {
          name: 'poll: 10 new events',
          description: '3 channels, one 10 events behind',
          url: busy,
          headers: {},
        },
        {
          name: 'full page load',
          description: 'the front page with three live values (default theme)',
          url: `${base}/`,
          headers: {},
        },
      ];

    const rows: Row[] = [];
    for (const benchCase of cases) {
      for (let i = 0; i < 20; i++) await sample(benchCase.url, benchCase.headers); // warm opcache and caches
      writeFileSync(accessLog, '');
      const samples: Sample[] = [];
      let bytes = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const measured = await sample(benchCase.url, benchCase.headers);
        samples.push(measured.sample);
        bytes = measured.bytes;
      }
      const upstream = readFileSync(accessLog, 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ').pop()) * 1000)
        .filter(Number.isFinite);
      const headerArgs = Object.entries(benchCase.headers).flatMap(([name, value]) => [
        '-H',
        `${name}: ${value}`,
      ]);
      const wrkOut = execFileSync(
        wrk,
        ['-t1', '-c4', `-d${SECONDS}s`, '--latency', ...headerArgs, benchCase.url],
        {
          encoding: 'utf8',
          timeout: (SECONDS + 30) * 1000,
        },
      );
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(wrkOut)?.[1]);
      const latency = /50%\s+([\d.]+)(us|ms|s)/.exec(wrkOut);
      const latencyMs = latency
        ? Number(latency[1]) * (latency[2] === 'us' ? 0.001 : latency[2] === 's' ? 1000 : 1)
        : Number.NaN;
      if (/Non-2xx or 3xx responses/.test(wrkOut))
        throw new Error(`wrk saw errors for ${benchCase.name}:\n${wrkOut}`);
      rows.push({
        name: benchCase.name,
        description: benchCase.description,
        status: mode(samples.map((s) => s.status)),
        phpMsMedian: quantile(
          samples.map((s) => s.phpMs),
          0.5,
        ),
        phpMsP90: quantile(
          samples.map((s) => s.phpMs),
          0.9,
        ),
        upstreamMsMedian: quantile(upstream, 0.5),
        queries: mode(samples.map((s) => s.queries)),
        routeQueries: mode(samples.map((s) => s.routeQueries)),
        bytes,
        rps,
        wrkLatencyMs: latencyMs,
      });
    }

    const fpmVersion = execFileSync(fpm, ['-v'], { encoding: 'utf8' }).split('\n')[0] ?? '';
    const mariadb = execFileSync('/usr/sbin/mariadbd', ['--version'], { encoding: 'utf8' }).trim();
    const wpVersion = (await wp('echo get_bloginfo( "version" );')).trim();
    console.log(
      `WordPress ${wpVersion}, ${fpmVersion.split(' (')[0]}, 1 PHP-FPM worker (pm = static), nginx, MariaDB ${/Ver ([\d.]+)/.exec(mariadb)?.[1] ?? '?'}`,
    );
    console.log(
      `${REQUESTS} sequential requests per case for PHP time and queries; wrk -t1 -c4 -d${SECONDS}s for req/s\n`,
    );
    const header = [
      'case',
      'HTTP',
      'PHP ms (median)',
      'PHP ms (p90)',
      'nginx upstream ms',
      'queries (all)',
      'queries (PressRelay)',
      'bytes',
      'req/s (1 worker)',
    ];
    const table = rows.map((row) => [
      row.name,
      String(row.status),
      row.phpMsMedian.toFixed(2),
      row.phpMsP90.toFixed(2),
      row.upstreamMsMedian.toFixed(1),
      String(row.queries),
      String(row.routeQueries),
      String(row.bytes),
      row.rps.toFixed(0),
    ]);
    const widths = header.map((title, column) =>
      Math.max(title.length, ...table.map((line) => line[column]!.length)),
    );
    const print = (cells: string[]) =>
      console.log(cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  '));
    print(header);
    for (const line of table) print(line);
    const page = rows.find((row) => row.name === 'full page load');
    const idleRow = rows[0];
    if (page && idleRow) {
      console.log(
        `\none worker serves ${(idleRow.rps / page.rps).toFixed(1)}× more idle polls than page loads; at a 5 s interval it keeps ${Math.round(idleRow.rps * 5)} open pages polling`,
      );
    }
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(
      OUT,
      `${JSON.stringify(
        {
          startedAt: new Date().toISOString(),
          command: `node --import tsx bench/wordpress/poll.ts ${process.argv.slice(2).join(' ')}`.trim(),
          machine: machineInfo(),
          software: { wordpress: wpVersion, phpFpm: fpmVersion, mariadb, workers: 1 },
          requests: REQUESTS,
          wrkSeconds: SECONDS,
          rows,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\nJSON: ${OUT}`);
  } finally {
    await cleanup();
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
