-- Ostatní pohledávky a závazky po položkách za posledních 30 dní.
SELECT
  CONCAT('PH-', h.ID, '-', COALESCE(pol.ID, 0)) AS Klic
  , h.ID AS DokladID
  , h.Cislo
  , CASE WHEN h.RelTpPH = 1 THEN 'pohledávka' ELSE 'závazek' END AS Druh
  , h.Datum
  , h.DatSplat
  , DATEDIFF(day, CAST(GETDATE() AS date), h.DatSplat) AS Dni_do_splatnosti
  , h.VarSym
  , h.SText AS Text
  , ISNULL(ad.Firma, h.Jmeno) AS Firma
  , ad.Jmeno AS Kontakt
  , NULLIF(h.ICO, '') AS ICO
  , NULLIF(h.DIC, '') AS DIC
  , ad.Email
  , z.IDS AS Zeme
  , s.IDS AS Stredisko
  , s.SText AS Stredisko_nazev
  , c.IDS AS Cinnost
  , h.KcCelkem
  , h.KcLikv
  , h.DatLikv
  , CASE WHEN h.DatLikv IS NULL THEN 0 ELSE 1 END AS Uhrazeno
  , COALESCE(m.IDS, 'CZK') AS Mena
  , h.CmKurs
  , h.CmCelkem
  , pol.OrderFld AS Poradi
  , pol.SText AS Polozka
  , pol.Kc AS KcPolozka
  , pol.Cm AS CmPolozka
  , pol.Pozn AS Pozn_polozky
  , h.Pozn
  , h.DatCreate
  , h.DatSave
FROM PH h
LEFT JOIN PHpol pol ON pol.RefAg = h.ID
LEFT JOIN AD ad ON ad.ID = NULLIF(h.RefAD, 0)
LEFT JOIN sZeme z ON z.ID = NULLIF(h.RefZeme, 0)
LEFT JOIN sSTR s ON s.ID = COALESCE(NULLIF(pol.RefStr, 0), NULLIF(h.RefStr, 0))
LEFT JOIN sCIN c ON c.ID = COALESCE(NULLIF(pol.RefCin, 0), NULLIF(h.RefCin, 0))
LEFT JOIN sCMeny m ON m.ID = NULLIF(h.RefCM, 0)
WHERE h.Datum >= DATEADD(day, -30, CAST(GETDATE() AS date))
