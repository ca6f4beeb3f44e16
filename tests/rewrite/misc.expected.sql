select TOP (5) WITH TIES h.Cislo, STUFF((SELECT ',' + p.Text FROM [SERVER1].[POHODA_DB].dbo.FApol p
  WHERE p.RefAg = h.ID FOR XML PATH('')), 1, 1, '') AS Texty,
  ROW_NUMBER() OVER (PARTITION BY h.RefAD ORDER BY h.Datum, h.ID) AS N,
  COUNT(*) OVER () AS Celkem, CAST(h.Kc AS decimal(12, 2)) AS Kc
from [SERVER1].[POHODA_DB].dbo.fa h
where h.ID > 0
order by h.Cislo, h.ID
offset 0 rows fetch next 10 rows only
option (hash join, force order, maxdop 1)
