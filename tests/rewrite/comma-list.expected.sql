SELECT h.Cislo, a.Firma, s.Nazev
FROM [SERVER1].[POHODA_DB].dbo.FA h, [SERVER1].[POHODA_DB].dbo.AD a,
     [SERVER1].[POHODA_DB].dbo.sStr s , [SERVER1].[POHODA_DB].dbo.[FApol] p
WHERE a.ID = h.RefAD AND s.ID IN (1, 2, 3) AND p.RefAg = h.ID
GROUP BY h.Cislo, a.Firma, s.Nazev
ORDER BY h.Cislo, a.Firma;
SELECT x.ID, y.ID FROM [SERVER1].[POHODA_DB].dbo.FA x JOIN [SERVER1].[POHODA_DB].dbo.AD y ON y.ID = x.RefAD, [SERVER1].[POHODA_DB].dbo.sStr z,
(SELECT ID FROM [SERVER1].[POHODA_DB].dbo.FApol) w
