#!/usr/bin/python3
"""A stand-in for deqp-vk that tests/check_conformance.sh drives through
scripts/conformance.py: the same command line and output, and cases whose
names say how they behave through vkwire (VK_DRIVER_FILES naming
vkwire_icd.json): *.differs fails there, *.crashes kills the process,
*.hangs sleeps; natively every case passes, *.unsupported is NotSupported
both ways.  FAKE_DEQP_RUNS, if set, is a file each run appends a line to."""

import os
import sys
import time

CASES = ['dEQP-VK.fake.a.first', 'dEQP-VK.fake.a.differs', 'dEQP-VK.fake.a.third',
         'dEQP-VK.fake.b.crashes', 'dEQP-VK.fake.b.after_crash', 'dEQP-VK.fake.b.hangs',
         'dEQP-VK.fake.b.after_hang', 'dEQP-VK.fake.b.unsupported',
         'dEQP-VK.other.not_selected']


def main() -> int:
    opts = dict(a[2:].split('=', 1) for a in sys.argv[1:] if a.startswith('--') and '=' in a)
    if opts.get('deqp-runmode') == 'txt-caselist':
        with open(opts['deqp-caselist-export-file'], 'w') as f:
            f.writelines(f'GROUP: dEQP-VK\nTEST: {c}\n' for c in CASES)
        return 0
    with open(opts['deqp-caselist-file']) as f:
        todo = [line.strip() for line in f if line.strip()]
    if os.environ.get('FAKE_DEQP_RUNS'):
        with open(os.environ['FAKE_DEQP_RUNS'], 'a') as f:
            f.write(f'{len(todo)}\n')
    vkwire = 'vkwire_icd.json' in os.environ.get('VK_DRIVER_FILES', '')
    for case in todo:
        print(f"\nTest case '{case}'..", flush=True)
        if vkwire and case.endswith('.crashes'):
            os.abort()
        if vkwire and case.endswith('.hangs'):
            time.sleep(3600)
        if case.endswith('.unsupported'):
            print('  NotSupported (no such feature)', flush=True)
        elif vkwire and case.endswith('.differs'):
            print('  Fail (a wrong value)', flush=True)
        else:
            print('  Pass (fine)', flush=True)
    print('\nDONE!', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
