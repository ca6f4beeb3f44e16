SELECT h.Cislo, a1.Firma
FROM FA h
JOIN AD a1 ON a1.ID = h.RefAD
INNER JOIN AD a2 ON a2.ID = h.RefAD
LEFT JOIN AD a3 ON a3.ID = h.RefAD
LEFT OUTER JOIN AD a4 ON a4.ID = h.RefAD
RIGHT JOIN AD a5 ON a5.ID = h.RefAD
right outer join AD a6 ON a6.ID = h.RefAD
FULL JOIN AD a7 ON a7.ID = h.RefAD
FULL OUTER JOIN AD a8 ON a8.ID = h.RefAD
CROSS JOIN sStr s
inner loop join FApol p ON p.RefAg = h.ID
LEFT HASH JOIN FApol p2 ON p2.RefAg = h.ID
JOIN/* tight */AD a9 ON a9.ID = h.RefAD
