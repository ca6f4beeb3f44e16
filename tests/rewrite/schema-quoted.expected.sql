SELECT * FROM [SRV].[DB].[my ]]schema].FA
