SELECT * FROM POHODA_2023.dbo.FA f
JOIN [StwPh_1_2024]..AD a ON a.ID = f.RefAD
JOIN [SRV2].[X].dbo.sStr s ON s.ID = f.RefStr
JOIN tempdb..#t t ON t.ID = f.ID
JOIN dbo . FApol p ON p.RefAg = f.ID
