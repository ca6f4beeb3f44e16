SELECT h.ID, x.Kc, y.Pocet
FROM [SERVER1].[POHODA_DB].dbo.FA h
CROSS APPLY (SELECT SUM(p.Kc) AS Kc FROM [SERVER1].[POHODA_DB].dbo.FApol p WHERE p.RefAg = h.ID) x
OUTER APPLY (SELECT COUNT(*) AS Pocet FROM [SERVER1].[POHODA_DB].dbo.FApol q
             JOIN [SERVER1].[POHODA_DB].dbo.sStr s ON s.ID = q.RefStr WHERE q.RefAg = h.ID) y
CROSS APPLY dbo.fnPolozky(h.ID) f
OUTER APPLY STRING_SPLIT(h.Pozn, ',') z
