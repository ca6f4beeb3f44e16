WITH
  faktury AS (SELECT ID, RefAD FROM [SERVER1].[POHODA_DB].dbo.FA WHERE RelTpFak = 1),
  [firmy] (ID, Firma) AS (
    SELECT a.ID, a.Firma FROM [SERVER1].[POHODA_DB].dbo.AD a
    WHERE EXISTS (SELECT 1 FROM faktury f WHERE f.RefAD = a.ID)
  ),
  souhrn AS (SELECT f.RefAD, COUNT(*) AS N FROM faktury f
             JOIN FIRMY x ON x.ID = f.RefAD GROUP BY f.RefAD)
SELECT s.N, fi.Firma
FROM souhrn s
JOIN [firmy] fi ON fi.ID = s.RefAD
JOIN (SELECT ID FROM (SELECT ID FROM [SERVER1].[POHODA_DB].dbo.FA) f1) d ON d.ID = s.RefAD;
SELECT * FROM [SERVER1].[POHODA_DB].dbo.souhrn
