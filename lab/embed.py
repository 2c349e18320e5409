#!/usr/bin/env python3
# Turns a text file into a C header holding it as one string constant, so
# the splsuite binary carries lab/init.sh and needs no data files at run time.
import sys

src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, 'rb').read()
with open(out, 'w') as f:
    f.write('/* generated from %s by lab/embed.py */\n' % src.split('/')[-1])
    f.write('static const char %s[] =\n' % name)
    for line in data.split(b'\n'):
        esc = ''.join('\\%03o' % c if c < 32 or c > 126 or c in b'"\\?' else chr(c) for c in line)
        f.write('    "%s\\n"\n' % esc)
    f.write(';\n')
