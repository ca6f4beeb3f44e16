SELECT * FROM [SRV].[DB].[order].FA JOIN [SRV].[DB].[order].[Order] o ON 1 = 1
