-- Příjemky na sklad po položkách za posledních 30 dní.
SELECT
  CONCAT('SKPP-', h.ID, '-', COALESCE(pol.ID, 0)) AS Klic
  , h.ID AS DokladID
  , h.Cislo
  , CASE WHEN h.KcCelkem < 0 THEN 'vratka dodavateli' ELSE 'příjemka' END AS Druh
  , h.Datum
  , h.DatUcP
  , h.SText AS Text
  , COALESCE(ad.Firma, NULLIF(h.Firma, ''), NULLIF(h.Jmeno, '')) AS Firma
  , NULLIF(h.ICO, '') AS ICO
  , NULLIF(h.DIC, '') AS DIC
  , z.IDS AS Zeme
  , s.IDS AS Stredisko
  , c.IDS AS Cinnost
  , h.Kc0
  , h.Kc1 + h.Kc2 AS Zaklad_DPH
  , h.KcDPH1 + h.KcDPH2 AS DPH
  , h.KcCelkem
  , COALESCE(m.IDS, 'CZK') AS Mena
  , h.CmKurs
  , h.CmCelkem
  , pol.OrderFld AS Poradi
  , sk.IDS AS Sklad
  , sk.SText AS Sklad_nazev
  , skz.IDS AS Zasoba
  , COALESCE(skz.SText, pol.SText) AS Polozka
  , skz.EAN
  , skz.Hmotnost
  , pol.Mnozstvi
  , pol.MJ
  , pol.KcJedn
  , pol.Sleva
  , pol.Kc AS KcPolozka
  , pol.KcDPH AS KcDPHPolozka
  , ISNULL(NULLIF(pol.VCislo, ''), '-') AS Vyrobni_cislo
  , h.Pozn
  , h.DatSave
FROM SKPP h
LEFT JOIN SKPPpol pol ON pol.RefAg = h.ID
LEFT JOIN AD ad ON ad.ID = NULLIF(h.RefAD, 0)
INNER JOIN sZeme z ON z.ID = h.RefZeme
LEFT JOIN sSklad sk ON sk.ID = NULLIF(pol.RefSklad, 0)
LEFT JOIN SKz skz ON skz.ID = NULLIF(pol.RefSkz, 0)
LEFT JOIN sSTR s ON s.ID = COALESCE(NULLIF(pol.RefStr, 0), NULLIF(h.RefStr, 0))
LEFT JOIN sCIN c ON c.ID = COALESCE(NULLIF(pol.RefCin, 0), NULLIF(h.RefCin, 0))
LEFT JOIN sCMeny m ON m.ID = NULLIF(h.RefCM, 0)
WHERE h.Datum >= DATEADD(day, -30, CAST(GETDATE() AS date))
