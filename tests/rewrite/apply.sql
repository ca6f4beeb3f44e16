SELECT h.ID, x.Kc, y.Pocet
FROM FA h
CROSS APPLY (SELECT SUM(p.Kc) AS Kc FROM FApol p WHERE p.RefAg = h.ID) x
OUTER APPLY (SELECT COUNT(*) AS Pocet FROM FApol q
             JOIN sStr s ON s.ID = q.RefStr WHERE q.RefAg = h.ID) y
CROSS APPLY dbo.fnPolozky(h.ID) f
OUTER APPLY STRING_SPLIT(h.Pozn, ',') z
