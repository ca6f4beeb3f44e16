SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v (ID, Nazev)
JOIN FA f ON f.ID = v.ID, sStr s
JOIN OPENQUERY(SRV, 'SELECT * FROM FA') q ON 1 = 1
JOIN ((AD a JOIN FApol p ON p.ID = a.ID) LEFT JOIN sCin c ON 1 = 1) ON 1 = 1
WHERE f.ID = (SELECT MAX(x.ID) FROM FA x) AND FA.ID = 1
