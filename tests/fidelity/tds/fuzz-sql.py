#!/usr/bin/python3
"""fuzz-sql.py PORT SEED COUNT: send COUNT seeded random T-SQL token soups
as batches over one connection (rawclient.py); every reply must end with a
DONE token.  Prints "bad=N" (replies without a final DONE)."""
import random
import sys
sys.path.insert(0, __import__('os').path.dirname(__file__))
import rawclient
port = int(sys.argv[1]); seed = int(sys.argv[2]); n = int(sys.argv[3])
rnd = random.Random(seed)
V = ['SELECT', 'FROM', 'WHERE', 'TOP', '(', ')', ',', '.', '*', '+', '-', '/', '=', '<>', 'AND', 'OR',
     'c01', 'c20', 'c11', 'v', 'names_src', 'ID', 'Firma', 'Kc', '[x]', '"y"', "'s'", "N'ž'", '1', '2.5', '1E3',
     '0x41', 'NULL', 'CAST', 'AS', 'int', 'varchar(3)', 'decimal(5,2)', 'CONCAT', 'ISNULL', 'COALESCE', 'LEN',
     'DATEADD', 'DATEDIFF', 'day', 'GETDATE()', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', ';', 'SET', 'NOCOUNT', 'ON',
     'WITH', '(NOLOCK)', 'JOIN', 'ON', 'LEFT', 'ORDER', 'BY', 'GROUP', 'UNION', 'ALL', 'INTO', '#t', '@x', '@@SPID',
     'COUNT(*)', 'SUM', 'MAX', 'IN', 'LIKE', 'IS', 'NOT', 'BETWEEN', 'EXISTS', 'DISTINCT', '--c\n', '/*', '*/', "'", '[', ']']
c = rawclient.Conn(port)
c.login('pohoda_sync', 'pohoda-test-pw')
bad = 0
for k in range(n):
    sql = ' '.join(rnd.choice(V) for _ in range(rnd.randrange(1, 15)))
    if rnd.random() < 0.5:
        sql = 'SELECT ' + sql
    c.batch(sql)
    msg = c.recv_message()
    if len(msg) < 13 or msg[-13] != 0xFD:
        bad += 1
        print('no final DONE for', repr(sql))
print('bad=%d' % bad)
