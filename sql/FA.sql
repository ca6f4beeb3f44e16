-- Faktury (vydané i přijaté) po položkách za posledních 30 dní.
-- Doklad bez položek dá jeden řádek s prázdnými sloupci položky.
SELECT
  CONCAT('FA-', h.ID, '-', COALESCE(pol.ID, 0)) AS Klic
  , h.ID AS DokladID
  , h.Cislo
  , CASE h.RelTpFak
      WHEN 1 THEN 'faktura'
      WHEN 8 THEN 'dobropis'
      WHEN 11 THEN 'přijatá faktura'
      WHEN 18 THEN 'přijatý dobropis'
      ELSE 'jiný doklad'
    END AS Druh
  , h.Datum
  , CAST(h.Datum AS date) AS Den
  , h.DatZdPln
  , h.DatSplat
  , DATEDIFF(day, h.Datum, h.DatSplat) AS Splatnost_dni
  , h.VarSym
  , h.SText AS Text
  , COALESCE(ad.Firma, NULLIF(h.Firma, ''), '(bez adresy)') AS Firma
  , NULLIF(h.ICO, '') AS ICO
  , NULLIF(h.DIC, '') AS DIC
  , h.Ulice + ', ' + h.PSC + ' ' + h.Obec AS Adresa
  , z.IDS AS Zeme
  , z.SText AS Zeme_nazev
  , s.IDS AS Stredisko
  , c.IDS AS Cinnost
  , h.Kc0
  , h.Kc1
  , h.KcDPH1
  , h.Kc2
  , h.KcDPH2
  , h.KcZaokr
  , h.KcCelkem AS [Celkem Kč]
  , h.KcLikv
  , h.Vyrizeno
  , ISNULL(m.IDS, 'CZK') AS Mena
  , h.CmKurs
  , h.CmCelkem
  , pol.OrderFld AS Poradi
  , NULLIF(pol.Kod, '') AS Kod
  , pol.SText AS Polozka
  , pol.Mnozstvi
  , CAST(pol.Mnozstvi AS decimal(18, 4)) AS Mnozstvi_dec
  , pol.MJ
  , pol.KcJedn
  , pol.SDph
  , pol.ProcentoDPH
  , pol.Kc AS KcPolozka
  , pol.KcDPH AS KcDPHPolozka
  , skz.IDS AS Zasoba
  , skz.EAN
  , h.Pozn
  , h.DatSave
FROM FA h
LEFT JOIN FApol pol ON pol.RefAg = h.ID
LEFT JOIN AD ad ON ad.ID = NULLIF(h.RefAD, 0)
JOIN sZeme z ON z.ID = h.RefZeme
LEFT JOIN sSTR s ON s.ID = COALESCE(NULLIF(pol.RefStr, 0), NULLIF(h.RefStr, 0))
LEFT JOIN sCIN c ON c.ID = COALESCE(NULLIF(pol.RefCin, 0), NULLIF(h.RefCin, 0))
LEFT JOIN sCMeny m ON m.ID = NULLIF(h.RefCM, 0)
LEFT JOIN SKz skz ON skz.ID = NULLIF(pol.RefSkz, 0)
WHERE h.Datum >= DATEADD(day, -30, CAST(GETDATE() AS date))
