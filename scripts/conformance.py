#!/usr/bin/python3
"""dEQP-VK natively and through vkwire, compared test by test.

    DEQP_VK=/path/to/deqp-vk scripts/conformance.py [--groups FILE] [--out DIR]

deqp-vk (from VK-GL-CTS, built outside this repository) runs every case of
the listed groups (conformance/groups.txt by default) three ways: natively
on the host driver, through vkwire with shared memory, and, for the groups
marked `memory`, through vkwire with copied memory (VKWIRE_MEMORY=copy).
Each case runs under a time limit; a case that crashes deqp-vk or outlives
its limit is recorded as such, and the run goes on from the next case.

OUT (default conformance-results/) gets:
    cases-MODE.txt   one line per case: name, result, seconds
    compare.txt      the cases whose result differs, crashed or hung
    summary.txt      per group: cases, equal, differ, crashed, hung, and
                     the seconds natively and through vkwire
    server-MODE.log  vkwire-server's log for the run
It exits 1 when any case differs from native, crashed or hung through
vkwire, or the server logged a protocol error: conformant tests must give
none.

The host driver is VKW_HOST_DRIVER (a loader manifest) or the lavapipe one
installed.  The vkwire build is VKWIRE_BUILD (default: this source tree).
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

# What deqp-vk prints per case (tcuTestSessionExecutor.cpp): the case line,
# then two spaces, the result name and its description in parentheses.
CASE_PREFIX = "Test case '"
RESULTS = ('Pass', 'Fail', 'QualityWarning', 'CompatibilityWarning', 'Pending',
           'NotSupported', 'ResourceError', 'InternalError', 'Crash', 'Timeout', 'Waiver',
           'DeviceLost', 'EnforceDefaultContext', 'EnforceDefaultInstance', 'CapabilityWarning')
CRASHED, HUNG = 'Crashed', 'Hung'  # what the harness records, never deqp-vk


class Group:
    def __init__(self, pattern: str, memory: bool, every: int):
        self.pattern, self.memory, self.every = pattern, memory, every

    def __str__(self) -> str:
        return self.pattern + (f' (1 in {self.every})' if self.every > 1 else '')


def read_groups(path: str) -> List[Group]:
    """PATTERN [memory] [every=N] per line; # comments."""
    groups = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            words = line.split('#', 1)[0].split()
            if not words:
                continue
            memory, every = False, 1
            for w in words[1:]:
                if w == 'memory':
                    memory = True
                elif w.startswith('every=') and w[6:].isdigit() and int(w[6:]) > 0:
                    every = int(w[6:])
                else:
                    sys.exit(f'{path}:{number}: unknown word {w!r}')
            groups.append(Group(words[0], memory, every))
    return groups


def list_cases(deqp: str, workdir: str) -> List[str]:
    """Every case deqp-vk has, in its order."""
    with tempfile.TemporaryDirectory(prefix='vkw-conformance-') as tmp:
        out = os.path.join(tmp, 'cases.txt')
        subprocess.run([deqp, '--deqp-runmode=txt-caselist',
                        f'--deqp-caselist-export-file={out}'],
                       cwd=workdir, check=True, stdout=subprocess.DEVNULL)
        with open(out, encoding='utf-8') as f:
            return [line[6:].strip() for line in f if line.startswith('TEST: ')]


def select_cases(cases: List[str], groups: List[Group]) -> Dict[str, Group]:
    """Each selected case and the (first) group that selects it."""
    chosen: Dict[str, Group] = {}
    for g in groups:
        matched = [c for c in cases if c not in chosen and fnmatch.fnmatchcase(c, g.pattern)]
        for c in matched[::g.every]:
            chosen[c] = g
    return chosen


def run_cases(deqp: str, workdir: str, cases: List[str], env: Dict[str, str],
              limit: float, log) -> Dict[str, Tuple[str, float]]:
    """Run `cases` in one deqp-vk after another until all have a result:
    a process that dies or goes quiet past `limit` seconds in a case costs
    that case (Crashed, Hung) and the next process starts after it."""
    results: Dict[str, Tuple[str, float]] = {}
    remaining = list(cases)
    with tempfile.TemporaryDirectory(prefix='vkw-conformance-') as tmp:
        caselist = os.path.join(tmp, 'caselist.txt')
        while remaining:
            with open(caselist, 'w', encoding='utf-8') as f:
                f.write('\n'.join(remaining) + '\n')
            argv = [deqp, f'--deqp-caselist-file={caselist}',
                    f'--deqp-log-filename={os.path.join(tmp, "log.qpa")}',
                    '--deqp-log-images=disable', '--deqp-log-shader-sources=disable']
            proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            current: Optional[str] = None
            started = time.monotonic()
            pending = b''
            hung = False
            while True:
                ready, _, _ = select.select([proc.stdout], [], [], 1.0)
                if not ready:
                    if current and time.monotonic() - started > limit:
                        hung = True
                        os.killpg(proc.pid, signal.SIGKILL)
                        break
                    if proc.poll() is not None:
                        break
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b'\n')
                for raw in lines:
                    line = raw.decode('utf-8', 'replace')
                    if line.startswith(CASE_PREFIX) and line.endswith("'.."):
                        current = line[len(CASE_PREFIX):-3]
                        started = time.monotonic()
                    elif current and line.startswith('  ') and '(' in line:
                        name = line.strip().split(' ', 1)[0]
                        if name in RESULTS:
                            results[current] = (name, time.monotonic() - started)
                            current = None
            proc.wait()
            if current and current not in results:
                results[current] = (HUNG if hung else CRASHED, time.monotonic() - started)
                log(f'  {current}: {results[current][0].lower()}')
            before = len(remaining)
            remaining = [c for c in remaining if c not in results]
            if len(remaining) == before:  # died before any case: give up on the rest
                for c in remaining:
                    results[c] = (CRASHED, 0.0)
                log(f'  deqp-vk ran no case (exit {proc.returncode}): {len(remaining)} '
                    'cases recorded as crashed')
                remaining = []
    return results


def host_driver() -> str:
    if os.environ.get('VKW_HOST_DRIVER'):
        return os.environ['VKW_HOST_DRIVER']
    for pattern in ('/usr/share/vulkan/icd.d/lvp_icd*.json', '/usr/local/share/vulkan/icd.d/lvp_icd*.json'):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    sys.exit('conformance: no host driver: set VKW_HOST_DRIVER to a loader manifest')


class Server:
    """A private vkwire-server on the host driver for one run."""

    def __init__(self, build: str, driver: str, log_path: str):
        self.dir = tempfile.mkdtemp(prefix='vkw-conformance-')
        os.chmod(self.dir, 0o700)
        self.address = f'unix:{self.dir}/socket'
        self.log_path = log_path
        env = dict(os.environ, VK_DRIVER_FILES=driver)
        self.log = open(log_path, 'w', encoding='utf-8')
        self.proc = subprocess.Popen([os.path.join(build, 'vkwire-server'), '--listen',
                                      self.address], env=env, stderr=self.log,
                                     stdout=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(f'{self.dir}/socket'):
                break
            time.sleep(0.1)

    def stop(self) -> int:
        """Stop it; the protocol errors its log reports."""
        self.proc.terminate()
        self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        with open(self.log_path, encoding='utf-8', errors='replace') as f:
            return sum(1 for line in f if 'protocol error' in line)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--groups', default=os.path.join(TOP, 'conformance', 'groups.txt'))
    ap.add_argument('--out', default='conformance-results')
    ap.add_argument('--limit', type=float, default=float(os.environ.get('VKW_CASE_SECONDS', 300)),
                    help='seconds a case may take before it counts as hung (default 300)')
    args = ap.parse_args(argv)
    deqp = os.environ.get('DEQP_VK')
    if not deqp:
        print('conformance: skipped: set DEQP_VK to a deqp-vk binary (VK-GL-CTS, built outside '
              'this repository)')
        return 0
    deqp = os.path.abspath(deqp)
    workdir = os.path.dirname(deqp)  # deqp-vk finds its data beside it
    build = os.path.abspath(os.environ.get('VKWIRE_BUILD', TOP))
    driver = host_driver()
    os.makedirs(args.out, exist_ok=True)

    def log(text: str) -> None:
        print(text, flush=True)

    groups = read_groups(args.groups)
    chosen = select_cases(list_cases(deqp, workdir), groups)
    cases = list(chosen)
    memory_cases = [c for c in cases if chosen[c].memory]
    log(f'conformance: {len(cases)} cases in {len(groups)} groups ({len(memory_cases)} also '
        f'with copied memory); host driver {driver}')

    base_env = {k: v for k, v in os.environ.items()
                if k not in ('VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VKWIRE_MEMORY')}
    runs: Dict[str, Dict[str, Tuple[str, float]]] = {}
    protocol_errors: Dict[str, int] = {}
    for mode, subset in (('native', cases), ('shared', cases), ('copied', memory_cases)):
        if not subset:
            continue
        log(f'conformance: {mode}: {len(subset)} cases')
        env = dict(base_env, VK_DRIVER_FILES=driver)
        server = None
        if mode != 'native':
            server = Server(build, driver, os.path.join(args.out, f'server-{mode}.log'))
            env = dict(base_env, VK_DRIVER_FILES=os.path.join(build, 'vkwire_icd.json'),
                       VKWIRE_SERVER=server.address)
            if mode == 'copied':
                env['VKWIRE_MEMORY'] = 'copy'
        try:
            runs[mode] = run_cases(deqp, workdir, subset, env, args.limit, log)
        finally:
            if server:
                protocol_errors[mode] = server.stop()
        with open(os.path.join(args.out, f'cases-{mode}.txt'), 'w', encoding='utf-8') as f:
            for c in subset:
                result, seconds = runs[mode][c]
                f.write(f'{c} {result} {seconds:.3f}\n')

    bad = 0
    rows = []
    with open(os.path.join(args.out, 'compare.txt'), 'w', encoding='utf-8') as f:
        for mode in ('shared', 'copied'):
            for c, (result, _) in runs.get(mode, {}).items():
                native = runs['native'][c][0]
                if result == native:
                    continue
                verdict = {CRASHED: 'crashed', HUNG: 'hung'}.get(result, 'differs')
                f.write(f'{c} {mode} {verdict}: native {native}, vkwire {result}\n')
                bad += 1
    for g in groups:
        members = [c for c in cases if chosen[c] is g]
        row = [str(g), len(members)]
        for mode in ('shared', 'copied'):
            got = runs.get(mode, {})
            if not g.memory and mode == 'copied':
                row += ['-'] * 4
                continue
            same = sum(1 for c in members if c in got and got[c][0] == runs['native'][c][0])
            crashed = sum(1 for c in members if c in got and got[c][0] == CRASHED)
            hung = sum(1 for c in members if c in got and got[c][0] == HUNG)
            row += [same, len(members) - same - crashed - hung, crashed, hung]
        row.append(sum(runs['native'][c][1] for c in members))
        row.append(sum(runs['shared'][c][1] for c in members))
        rows.append(row)
    with open(os.path.join(args.out, 'summary.txt'), 'w', encoding='utf-8') as f:
        f.write('group cases | shared: equal differ crashed hung | copied: equal differ crashed '
                'hung | seconds native vkwire\n')
        for row in rows:
            f.write(' '.join(f'{x:.1f}' if isinstance(x, float) else str(x) for x in row) + '\n')
        for mode, n in protocol_errors.items():
            f.write(f'server protocol errors ({mode}): {n}\n')
    log(open(os.path.join(args.out, 'summary.txt'), encoding='utf-8').read().rstrip())
    if bad or any(protocol_errors.values()):
        log(f'conformance: {bad} results differ from native, crashed or hung; '
            f'{sum(protocol_errors.values())} protocol errors (see {args.out})')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
