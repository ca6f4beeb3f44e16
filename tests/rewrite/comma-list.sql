SELECT h.Cislo, a.Firma, s.Nazev
FROM FA h, AD a,
     dbo.sStr s , [FApol] p
WHERE a.ID = h.RefAD AND s.ID IN (1, 2, 3) AND p.RefAg = h.ID
GROUP BY h.Cislo, a.Firma, s.Nazev
ORDER BY h.Cislo, a.Firma;
SELECT x.ID, y.ID FROM FA x JOIN AD y ON y.ID = x.RefAD, sStr z,
(SELECT ID FROM FApol) w
